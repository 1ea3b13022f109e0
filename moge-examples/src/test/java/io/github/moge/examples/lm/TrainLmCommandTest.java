package io.github.moge.examples.lm;

import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.MogeCli;
import io.github.moge.lm.data.BrownCorpus;
import io.github.moge.lm.model.LmPreset;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-lm: usage errors before any compute, and a time-limited run continued with --resume. */
class TrainLmCommandTest {

    @TempDir Path temp;

    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        err.getBuffer().setLength(0);
        return MogeCli.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                .execute(args);
    }

    private void assertUsageError(String expected, String... args) {
        assertEquals(2, execute(args), err.toString());
        String message = err.toString().trim();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertFalse(message.contains("Exception"), message);
        assertTrue(message.contains(expected), message);
    }

    @Test
    void badSettingsAreRefusedBeforeAnyComputeWithOneLine() throws IOException {
        Path corpus = Files.createDirectories(temp.resolve("brown"));
        Files.writeString(corpus.resolve("ca01"), "The/at jury/nn ./.\n");
        String out = temp.resolve("out").toString();
        String brown = corpus.toString();
        assertUsageError(
                "--output and --resume both given", "train-lm", "--resume", brown, "--output", out);
        assertUsageError(
                "unknown --preset 'smoge-huge'",
                "train-lm",
                "--preset",
                "smoge-huge",
                "--brown",
                brown,
                "--output",
                out);
        assertUsageError(
                "--brown " + temp.resolve("missing") + " does not exist",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                temp.resolve("missing").toString(),
                "--output",
                out);
        assertUsageError(
                "holds no Brown corpus files",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                temp.toString(),
                "--output",
                out);
        assertUsageError(
                "--top-k 17 exceeds the 16 experts of smoge-small",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                brown,
                "--top-k",
                "17",
                "--output",
                out);
        assertUsageError(
                "needs a router",
                "train-lm",
                "--preset",
                "dense-small",
                "--brown",
                brown,
                "--balance",
                "0.01",
                "--output",
                out);
        assertUsageError(
                "--lambda weights L_gs",
                "train-lm",
                "--preset",
                "smoe-small",
                "--brown",
                brown,
                "--lambda",
                "0.01",
                "--output",
                out);
        assertUsageError(
                "--width 30 is not divisible by the 8 attention heads",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                brown,
                "--width",
                "30",
                "--output",
                out);
        assertUsageError(
                "unknown --sigma 'fast'",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                brown,
                "--sigma",
                "fast",
                "--output",
                out);
        assertUsageError(
                "--max-steps-per-epoch and --batches-per-epoch both given",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                brown,
                "--max-steps-per-epoch",
                "3",
                "--batches-per-epoch",
                "1000",
                "--output",
                out);
        assertUsageError(
                "--output is not set", "train-lm", "--preset", "smoge-small", "--brown", brown);
        assertUsageError(
                "--preset is required for a new run",
                "train-lm",
                "--brown",
                brown,
                "--output",
                out);
        // every problem at once, on one line
        assertUsageError(
                "--epochs 0 must be >= 1; --dropout 1.0 must be in [0, 1)",
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                brown,
                "--epochs",
                "0",
                "--dropout",
                "1",
                "--output",
                out);

        Path taken = Files.createDirectories(temp.resolve("taken"));
        Files.writeString(taken.resolve(RunConfiguration.FILE_NAME), "{}");
        assertUsageError(
                "already holds a run: resume it with --resume " + taken,
                "train-lm",
                "--preset",
                "smoge-small",
                "--brown",
                brown,
                "--output",
                taken.toString());
        assertUsageError(
                "--epochs, --seed given with --resume",
                "train-lm",
                "--resume",
                taken.toString(),
                "--epochs",
                "3",
                "--seed",
                "2");
        assertUsageError(
                "is not a train-lm run configuration", "train-lm", "--resume", taken.toString());
        assertUsageError(
                "holds no train-lm run (no config.json)",
                "train-lm",
                "--resume",
                corpus.toString());
        assertUsageError(
                "--resume " + temp.resolve("gone") + " does not exist",
                "train-lm",
                "--resume",
                temp.resolve("gone").toString());

        // a saved run whose corpus has moved away: the fix is to restore it, not a flag
        Path moved = Files.createDirectories(temp.resolve("moved"));
        Path oldCorpus = temp.resolve("old-brown");
        Files.writeString(
                moved.resolve(RunConfiguration.FILE_NAME),
                LmRunSettings.defaults(LmPreset.SMOGE_SMALL, LmRunSettings.Source.BROWN, oldCorpus)
                        .build()
                        .toConfiguration()
                        .toJson());
        assertUsageError(
                "the corpus directory " + oldCorpus + " saved in its config.json is gone",
                "train-lm",
                "--resume",
                moved.toString());
    }

    /** Runs the CLI capturing standard output. */
    private String run(int expectedExit, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertEquals(expectedExit, execute(args), err.toString());
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTimeLimitedRunContinuedWithResumeEqualsTheUninterruptedRun() throws IOException {
        Path brown = BrownCorpus.locate();
        assumeTrue(brown != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        List<String> settings =
                List.of(
                        "train-lm",
                        "--preset",
                        "smoge-small",
                        "--brown",
                        brown.toString(),
                        "--lowercase",
                        "--epochs",
                        "2",
                        "--batch",
                        "4",
                        "--block",
                        "8",
                        "--span",
                        "8",
                        "--layers",
                        "1",
                        "--width",
                        "16",
                        "--hidden",
                        "8",
                        "--dropout",
                        "0.1",
                        "--lr",
                        "2e-3",
                        "--warmup",
                        "7",
                        "--max-steps-per-epoch",
                        "3",
                        "--eval-limit",
                        "200",
                        "--eval-batch",
                        "2",
                        "--seed",
                        "3",
                        "--clip-grad-norm",
                        "5");
        Path straight = temp.resolve("straight");
        List<String> args = new ArrayList<>(settings);
        args.addAll(List.of("--output", straight.toString()));
        String full = run(0, args.toArray(String[]::new));
        assertTrue(full.contains("smoge-small: best valid ppl"), full);
        // a warm-up longer than the run's 2 x 3 steps is warned about in one line
        assertTrue(
                full.contains(
                        "Warning: --warmup 7 is longer than the run's 6 steps (2 epochs x 3): the"
                                + " learning rate never reaches its peak 0.002;"),
                full);
        assertTrue(full.contains("Learning curves: " + straight.resolve("curves.png")), full);
        assertTrue(Files.size(straight.resolve("curves.png")) > 10_000);

        // a budget far below one step: the run stops with a checkpoint after its first step
        Path limited = temp.resolve("limited");
        args = new ArrayList<>(settings);
        args.addAll(List.of("--output", limited.toString(), "--max-minutes", "0.00001"));
        String stopped = run(0, args.toArray(String[]::new));
        assertTrue(
                stopped.contains(
                        "training stopped early (--max-minutes 1.0E-5 spent) at step 1 of 6"),
                stopped);
        assertTrue(stopped.contains("moge train-lm --resume " + limited), stopped);
        assertEquals(2, Files.readAllLines(limited.resolve("metrics.csv")).size());

        String resumed = run(0, "train-lm", "--resume", limited.toString());
        assertTrue(resumed.contains("smoge-small: best valid ppl"), resumed);
        assertEquals(stepRows(straight), stepRows(limited));
        assertEquals(
                Files.readString(straight.resolve("config.json")),
                Files.readString(limited.resolve("config.json")));
        assertTrue(
                Files.readString(limited.resolve("config.json"))
                        .contains("\"clip_grad_norm\": 5.0"));
        String summary = Files.readString(limited.resolve("summary.json"));
        assertEquals(
                testPerplexity(Files.readString(straight.resolve("summary.json"))),
                testPerplexity(summary));
    }

    private static String testPerplexity(String summaryJson) {
        int from = summaryJson.indexOf("\"test_ppl\": ");
        return summaryJson.substring(from, summaryJson.indexOf(',', from));
    }
}
