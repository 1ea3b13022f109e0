package io.github.moge.examples;

import io.github.moge.examples.benchmark.LayerBenchmark;
import io.github.moge.examples.benchmark.MemoryBenchmark;
import io.github.moge.examples.benchmark.StepBenchmark;
import io.github.moge.examples.benchmark.VisionBenchmark;
import io.github.moge.examples.compare.CompareCommand;
import io.github.moge.examples.doctor.DoctorCommand;
import io.github.moge.examples.inference.EvaluateCommand;
import io.github.moge.examples.inference.PredictCommand;
import io.github.moge.examples.invariance.InvarianceCommand;
import io.github.moge.examples.lm.TrainLmCommand;
import io.github.moge.examples.plot.PlotCommand;
import io.github.moge.examples.training.UsageException;
import io.github.moge.examples.vision.TrainVisionCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code moge} command-line entry point: one subcommand per experiment or benchmark.
 *
 * <p>To add a subcommand, write a picocli {@code @Command} class and add one line to {@link
 * #newCommandLine(PrintWriter, PrintWriter)}.
 *
 * <p>Exit codes: 0 success, 1 failure while running, 2 bad usage (no command, unknown or invalid
 * flags, missing paths, an output directory that cannot be written or already holds results), 130
 * and 143 when SIGINT or SIGTERM stopped a training command (after a checkpoint; a second signal
 * exits at once with the same code). Usage errors print one line, never a stack trace.
 */
@Command(
        name = "moge",
        mixinStandardHelpOptions = true,
        version = "moge 0.1.0-SNAPSHOT (DJL 0.25.0, PyTorch 2.0.1)",
        description = "Mixture-of-Experts / Mixture of Group Experts experiments on DJL.",
        footer = {"", "Run 'moge <command> --help' for the options of a command."})
public final class MogeCli implements Callable<Integer> {

    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    /**
     * Runs when no subcommand is given: that is a usage error, so the usage goes to standard error
     * and the exit code is 2.
     *
     * @return {@link CommandLine.ExitCode#USAGE}
     */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /**
     * Builds the command line with every subcommand registered and the usage-error handling set up.
     *
     * @param out standard output
     * @param err standard error
     * @return the command line
     */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new MogeCli());
        // Subcommands: one line each.
        cli.addSubcommand(new InvarianceCommand());
        cli.addSubcommand(new LayerBenchmark());
        cli.addSubcommand(new VisionBenchmark());
        cli.addSubcommand(new TrainLmCommand());
        cli.addSubcommand(new MemoryBenchmark());
        cli.addSubcommand(new StepBenchmark());
        cli.addSubcommand(new TrainVisionCommand());
        cli.addSubcommand(new DoctorCommand());
        cli.addSubcommand(new PlotCommand());
        cli.addSubcommand(new PredictCommand());
        cli.addSubcommand(new EvaluateCommand());
        cli.addSubcommand(new CompareCommand(MogeCli::newCommandLine, MogeCli.class.getName()));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(MogeCli::handleUsageError);
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    // Bad settings (builders' IllegalArgumentException) and missing or corrupt data
                    // (IOException) are the user's to fix: one line naming the problem, no stack
                    // trace.
                    if (e instanceof UsageException
                            || e instanceof IllegalArgumentException
                            || e instanceof IOException
                            || e instanceof UncheckedIOException) {
                        commandLine
                                .getErr()
                                .println(qualifiedName(commandLine) + ": " + e.getMessage());
                        commandLine.getErr().flush();
                        return CommandLine.ExitCode.USAGE;
                    }
                    throw e;
                });
        return cli;
    }

    /**
     * Runs the CLI.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = newCommandLine(out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    private static int handleUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println(
                qualifiedName(commandLine)
                        + ": "
                        + e.getMessage()
                        + " (see '"
                        + qualifiedName(commandLine)
                        + " --help')");
        err.flush();
        return CommandLine.ExitCode.USAGE;
    }

    private static String qualifiedName(CommandLine commandLine) {
        return commandLine.getCommandSpec().qualifiedName();
    }
}
