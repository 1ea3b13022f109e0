package io.github.moge.examples.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.testing.RunFiles;
import io.github.moge.examples.MogeCli;
import io.github.moge.vision.data.FashionMnistDataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a {@code moge train-vision} process (a child JVM, {@link Process#destroy()}) after a
 * few steps: it finishes the step, writes a checkpoint at it, leaves no {@code .tmp-*} directory
 * and exits 143; {@code --resume} then ends with the per-step metrics and the final parameters and
 * optimizer state of an uninterrupted run, bit for bit. All three processes run one intra-op
 * thread, so that they reduce in the same order.
 */
class SignalStopCommandTest {

    private static final Pattern STOPPED = Pattern.compile("Stopped at step (\\d+) on request.*");

    @TempDir Path temp;

    private static List<String> settings(Path run) {
        return List.of(
                "train-vision",
                "--preset",
                "vit-moge-xs-fmnist",
                "--train-limit",
                "160",
                "--test-limit",
                "16",
                "--epochs",
                "1",
                "--experts",
                "9",
                "--top-k",
                "2",
                "--batch-size",
                "8",
                "--seed",
                "5",
                "--output",
                run.toString());
    }

    /** Starts {@code moge ARGS} in a child JVM, its output (stdout and stderr) into a file. */
    private static Process moge(List<String> args, Path output) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(
                List.of(
                        "-Doffline=true",
                        "-Dai.djl.pytorch.num_threads=1",
                        "-Xmx1g",
                        "-cp",
                        System.getProperty("java.class.path"),
                        MogeCli.class.getName()));
        command.addAll(args);
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile());
        builder.environment().put("OPT_OUT_TRACKING", "true");
        return builder.start();
    }

    /** Runs {@code moge ARGS} to its end; returns its output. */
    private String finish(List<String> args, String name, int expectedExit) throws Exception {
        Path output = temp.resolve(name + ".log");
        Process process = moge(args, output);
        boolean ended = process.waitFor(120, TimeUnit.SECONDS);
        String log = Files.readString(output, StandardCharsets.UTF_8);
        assertTrue(ended, log);
        assertEquals(expectedExit, process.exitValue(), log);
        return log;
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void sigtermCheckpointsTheStepExits143AndResumeEndsAsTheUninterruptedRun() throws Exception {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        assumeTrue(
                !System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("windows"),
                "Process.destroy() sends SIGTERM on Unix only");

        Path straight = temp.resolve("straight");
        finish(settings(straight), "straight", 0);

        Path run = temp.resolve("run");
        Path output = temp.resolve("stopped.log");
        Process first = moge(settings(run), output);
        // Progress lines come every 2 of the 20 steps; the handler is installed before step 1.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.readString(output, StandardCharsets.UTF_8).contains("epoch 1/1 batch 6/20")
                && first.isAlive()
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        first.destroy(); // SIGTERM on Unix
        assertTrue(first.waitFor(60, TimeUnit.SECONDS), "no exit after SIGTERM");
        String log = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(143, first.exitValue(), log);
        assertTrue(
                log.contains(
                        "train-vision: SIGTERM received: stopping after the current step with a"
                                + " checkpoint"),
                log);
        long stoppedAt = -1;
        for (String line : log.split("\n")) {
            Matcher matcher = STOPPED.matcher(line.strip());
            if (matcher.matches()) {
                stoppedAt = Long.parseLong(matcher.group(1));
            }
        }
        assertTrue(stoppedAt >= 6 && stoppedAt < 20, log);
        // The checkpoint of the step it stopped at is the newest, and nothing is half-written.
        List<String> checkpoints = listing(run.resolve("checkpoints"));
        assertEquals(
                String.format(Locale.ROOT, "step-%08d", stoppedAt),
                checkpoints.get(checkpoints.size() - 1),
                checkpoints.toString());
        assertFalse(checkpoints.stream().anyMatch(n -> n.startsWith(".")), checkpoints.toString());
        assertEquals(stoppedAt + 1, Files.readAllLines(run.resolve("metrics.csv")).size());

        finish(List.of("train-vision", "--resume", run.toString()), "resumed", 0);

        assertEquals(RunFiles.stepRows(straight), RunFiles.stepRows(run));
        Path last = Path.of("checkpoints", "step-00000020");
        for (String file : List.of("model-0000.params", "optimizer.ndlist")) {
            assertEquals(
                    -1,
                    Files.mismatch(
                            straight.resolve(last).resolve(file), run.resolve(last).resolve(file)),
                    file + " differs from the uninterrupted run's");
        }
    }
}
