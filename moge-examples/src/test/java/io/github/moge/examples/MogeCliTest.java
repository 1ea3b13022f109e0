package io.github.moge.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.examples.invariance.InputNormalization;
import io.github.moge.examples.invariance.InvarianceCommand;
import io.github.moge.examples.invariance.InvarianceSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MogeCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private CommandLine cli() {
        return MogeCli.newCommandLine(new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void parsesEveryInvarianceFlag(@TempDir Path dir) {
        CommandLine cli = cli();
        CommandLine.ParseResult parsed =
                cli.parseArgs(
                        "invariance",
                        "--epochs",
                        "150",
                        "--train-limit",
                        "0",
                        "--test-limit",
                        "500",
                        "--data",
                        dir.toString(),
                        "--output",
                        dir.resolve("o").toString(),
                        "--seed",
                        "7",
                        "--lambda",
                        "0.01",
                        "--sigma-max",
                        "8",
                        "--sigma-min",
                        "0.5",
                        "--sigma-power",
                        "1",
                        "--batch-size",
                        "100",
                        "--lr",
                        "0.002",
                        "--warmup-epochs",
                        "10",
                        "--force",
                        "--input-norm",
                        "global");
        InvarianceCommand command =
                (InvarianceCommand) parsed.subcommand().commandSpec().userObject();
        InvarianceSettings s = command.settings();
        assertEquals(null, s.validate());
        String d = s.describe();
        assertTrue(d.contains("epochs 150, train images all, test images 500, batch 100"), d);
        assertTrue(d.contains("lambda 0.0100000, sigma 8.00000 -> 0.500000 (p 1.00000)"), d);
        assertTrue(d.contains("warm-up 10.0 epochs"), d);
        assertTrue(d.contains("input global, transforms paper, seed 7"), d);
        assertEquals(10.0, s.effectiveWarmupEpochs());
        assertEquals(dir.resolve("o"), command.getOutput());
    }

    @Test
    void defaultWarmupIsOneFifteenthOfTheEpochs() {
        CommandLine.ParseResult parsed = cli().parseArgs("invariance", "--epochs", "30");
        InvarianceCommand command =
                (InvarianceCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals(2.0, command.settings().effectiveWarmupEpochs(), 1e-12);
        assertEquals(
                InvarianceSettings.DEFAULT_TRAIN_LIMIT, parsedInt(command.settings().describe()));
    }

    private static int parsedInt(String describe) {
        String marker = "train images ";
        int from = describe.indexOf(marker) + marker.length();
        return Integer.parseInt(describe.substring(from, describe.indexOf(',', from)));
    }

    @Test
    void helpExitsZeroAndExplainsThePaperSetting() {
        assertEquals(0, cli().execute("invariance", "--help"));
        String help = out.toString();
        assertTrue(help.contains("--epochs 150 --train-limit 0"), help);
        assertTrue(help.contains("--sigma-power"), help);
        assertEquals(0, cli().execute("--help"));
        assertTrue(out.toString().contains("invariance"));
    }

    @Test
    void bareMogePrintsTheUsageAndExitsTwo() {
        assertEquals(2, cli().execute());
        assertTrue(err.toString().startsWith("Usage: moge"), err.toString());
        assertTrue(err.toString().contains("invariance"), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void everyHelpRendersWithoutFormatWarnings() {
        PrintStream standardErr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            for (String command : cli().getSubcommands().keySet()) {
                out.getBuffer().setLength(0);
                assertEquals(0, cli().execute(command, "--help"), command);
                assertTrue(out.toString().startsWith("Usage: moge " + command), out.toString());
            }
        } finally {
            System.setErr(standardErr);
        }
        // picocli reports a description it cannot format (an unescaped %) on standard error.
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
        out.getBuffer().setLength(0);
        cli().execute("benchmark-layer", "--help");
        assertTrue(out.toString().contains("PyTorch peer ms, useful GFLOP/s)."), out.toString());
    }

    private int run(String... args) {
        err.getBuffer().setLength(0);
        return cli().execute(args);
    }

    private void assertUsageError(String expected, String... args) {
        assertEquals(2, run(args), err.toString());
        String message = err.toString().trim();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertFalse(message.contains("Exception"), message);
        assertTrue(message.contains(expected), message);
    }

    @Test
    void badFlagsExitWithCodeTwoAndOneLine(@TempDir Path dir) throws Exception {
        String output = dir.resolve("out").toString();
        assertUsageError(
                "--epochs must be >= 1", "invariance", "--epochs", "-1", "--output", output);
        assertUsageError(
                "--train-limit must be >= 0",
                "invariance",
                "--train-limit",
                "-5",
                "--output",
                output);
        assertUsageError("Unknown option: '--bogus'", "invariance", "--bogus");
        assertUsageError("Invalid value", "invariance", "--epochs", "many");
        assertUsageError("--sigma-min", "invariance", "--sigma-min", "20", "--output", output);
        assertUsageError(
                "no such directory", "invariance", "--data", dir.resolve("missing").toString());
        assertUsageError(
                "no Fashion-MNIST files",
                "invariance",
                "--data",
                dir.toString(),
                "--output",
                output);
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertUsageError("not a directory", "invariance", "--output", file.toString());
        Path readOnly = Files.createDirectories(dir.resolve("ro"));
        if (readOnly.toFile().setWritable(false) && !Files.isWritable(readOnly)) {
            assertUsageError(
                    "--output", "invariance", "--output", readOnly.resolve("sub").toString());
        }
        readOnly.toFile().setWritable(true);
    }

    @Test
    void existingResultsAreRefusedWithoutForce(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("maps"));
        Files.writeString(dir.resolve("invariance.csv"), "old");
        assertUsageError("--force", "invariance", "--output", dir.toString());
        assertEquals("old", Files.readString(dir.resolve("invariance.csv")));

        CommandLine.ParseResult parsed =
                cli().parseArgs("invariance", "--output", dir.toString(), "--force");
        InvarianceCommand command =
                (InvarianceCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals(dir, command.prepareOutput());
    }

    @Test
    void inputNormalisationIsCaseInsensitive() {
        CommandLine.ParseResult parsed = cli().parseArgs("invariance", "--input-norm", "PIXEL");
        InvarianceCommand command =
                (InvarianceCommand) parsed.subcommand().commandSpec().userObject();
        assertTrue(
                command.settings()
                        .describe()
                        .contains("input " + InputNormalization.PIXEL.name().toLowerCase()));
    }

    @Test
    void routerInputIsRawPixelsByDefaultAsThePaper() {
        CommandLine.ParseResult parsed = cli().parseArgs("invariance");
        InvarianceCommand command =
                (InvarianceCommand) parsed.subcommand().commandSpec().userObject();
        assertTrue(
                command.settings()
                        .describe()
                        .contains("input " + InputNormalization.NONE.name().toLowerCase()),
                command.settings().describe());
        assertTrue(new InvarianceSettings().describe().contains("input none"));
    }
}
