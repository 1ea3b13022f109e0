package io.github.moge.examples.compare;

import io.github.moge.core.compare.RunStoppedException;
import io.github.moge.core.training.StopRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import picocli.CommandLine;

/**
 * Runs one {@code moge} command line for a comparison: in this JVM, or in a child JVM with one
 * PyTorch thread.
 *
 * <p>Why both: PyTorch's intra-op and inter-op thread pools belong to the process, so two runs
 * inside one JVM would share (and fight over) one pool; a child JVM per run gives each run its own
 * pool of one thread ({@code ai.djl.pytorch.num_threads=1}, {@code OMP_NUM_THREADS=1}), which is
 * what two runs at a time on two cores need, and keeps a crash or a native-memory leak to its own
 * run. One run at a time stays in-process: all cores go to it and DJL loads once.
 *
 * <p>Stops: a command that exits with 130 or 143 (the codes of the training commands stopped by
 * SIGINT or SIGTERM, checkpoint written) is reported as {@link RunStoppedException}, so the
 * comparison starts no further runs. When the comparison's own {@link StopRequest} is set (its
 * signal handler), each child JVM gets SIGTERM and is waited for: it finishes its step, writes its
 * checkpoint and exits 143. An in-process run gets the signal itself (its command's handler takes
 * over while it runs).
 */
final class CommandExecutor {

    private final BiFunction<PrintWriter, PrintWriter, CommandLine> commandLines;
    private final String mainClass;
    private final boolean childJvm;
    private final PrintWriter out;
    private final PrintWriter err;
    private final StopRequest stop;

    /**
     * Creates an executor.
     *
     * @param commandLines builds a fresh {@code moge} command line (in-process runs)
     * @param mainClass the {@code moge} main class (child JVMs)
     * @param childJvm whether to run each command in a child JVM with one PyTorch thread
     * @param out where in-process runs print
     * @param err where in-process runs print errors
     * @param stop the comparison's stop request, forwarded to child JVMs as SIGTERM
     */
    CommandExecutor(
            BiFunction<PrintWriter, PrintWriter, CommandLine> commandLines,
            String mainClass,
            boolean childJvm,
            PrintWriter out,
            PrintWriter err,
            StopRequest stop) {
        this.commandLines = commandLines;
        this.mainClass = mainClass;
        this.childJvm = childJvm;
        this.out = out;
        this.err = err;
        this.stop = stop;
    }

    /**
     * Runs a command line to its end.
     *
     * @param args the arguments, starting with the subcommand
     * @param log the log file of a child JVM (its standard output and error)
     * @throws RunStoppedException if the command stopped on a signal (exit 130 or 143)
     * @throws IOException if the command fails (another non-zero exit)
     * @throws InterruptedException if interrupted while waiting for a child JVM
     */
    void execute(List<String> args, Path log) throws IOException, InterruptedException {
        int code;
        if (childJvm) {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(childCommand(args));
            pb.environment().put("OPT_OUT_TRACKING", "true");
            pb.environment().put("OMP_NUM_THREADS", "1");
            pb.environment().put("MKL_NUM_THREADS", "1");
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            try {
                boolean forwarded = false;
                while (!p.waitFor(1, TimeUnit.SECONDS)) {
                    if (stop.isRequested() && !forwarded) {
                        p.destroy(); // SIGTERM: the child checkpoints and exits 143
                        forwarded = true;
                    }
                }
                code = p.exitValue();
            } finally {
                p.destroy();
            }
        } else {
            synchronized (CommandExecutor.class) {
                code = commandLines.apply(out, err).execute(args.toArray(new String[0]));
            }
        }
        if (code == 130 || code == 143) {
            String signal = code == 130 ? "SIGINT" : "SIGTERM";
            throw new RunStoppedException(
                    "'moge "
                            + String.join(" ", args)
                            + "' stopped by "
                            + signal
                            + " with a checkpoint"
                            + (childJvm ? " (log: " + log + ")" : ""),
                    signal);
        }
        if (code != 0) {
            throw new IOException(
                    "'moge "
                            + String.join(" ", args)
                            + "' exited with "
                            + code
                            + (childJvm ? " (log: " + log + ")" : ""));
        }
    }

    private List<String> childCommand(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // The heap limits of this JVM carry over; agents, debuggers and the rest do not.
            if (a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-Xss")) {
                cmd.add(a);
            }
        }
        cmd.add("-Doffline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=1");
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }
}
