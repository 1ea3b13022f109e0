package io.github.moge.examples.invariance;

import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.training.dataset.Dataset;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.MogeCli;
import io.github.moge.vision.data.FashionMnistDataset;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The invariance command on the shared training mechanism: exact resume and the --resume flag. */
class InvarianceResumeTest {

    @TempDir Path temp;

    private static InvarianceSettings small() {
        return new InvarianceSettings()
                .epochs(2)
                .trainLimit(400)
                .testLimit(100)
                .experts(16, 8)
                .progress(false);
    }

    @Test
    void interruptedMogeTrainingResumesExactly() throws Exception {
        assumeTrue(
                Files.isDirectory(Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR))
                        || System.getenv(FashionMnistDataset.ENV_DATA_DIR) != null,
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        PrintStream quiet =
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        InvarianceExperiment experiment = new InvarianceExperiment(small(), quiet);
        FashionMnistDataset train = experiment.load(Dataset.Usage.TRAIN);
        FashionMnistDataset test = experiment.load(Dataset.Usage.TEST);

        Path straight = temp.resolve("straight");
        ModelResult expected =
                experiment
                        .optRunOptions((b, dir) -> b.optCheckpointEvery(1))
                        .trainAndEvaluate(true, train, test, straight, false);
        assertEquals(4, expected.steps());
        assertEquals(2, expected.epochs().size());

        Path killed = temp.resolve("killed");
        InvarianceExperiment crashing =
                new InvarianceExperiment(small(), quiet)
                        .optRunOptions(
                                (b, dir) ->
                                        b.optCheckpointEvery(1)
                                                .addStepListener(
                                                        r -> {
                                                            if (r.getStep() == 2) {
                                                                throw new IllegalStateException(
                                                                        "simulated kill after step"
                                                                                + " 2");
                                                            }
                                                        }));
        assertThrows(
                IllegalStateException.class,
                () -> crashing.trainAndEvaluate(true, train, test, killed, false));

        ModelResult resumed =
                new InvarianceExperiment(small(), quiet)
                        .optRunOptions((b, dir) -> b.optCheckpointEvery(1))
                        .trainAndEvaluate(true, train, test, killed, true);
        assertEquals(stepRows(straight), stepRows(killed));
        assertEquals(expected.testAccuracy(), resumed.testAccuracy());
        assertArrayEquals(expected.meanImed(), resumed.meanImed());
        assertEquals(2, resumed.epochs().size(), "epochs before the resume come from epochs.csv");
        assertEquals(expected.epochs().get(0).trainLoss(), resumed.epochs().get(0).trainLoss());
        assertEquals(
                expected.epochs().get(1).testAccuracy(), resumed.epochs().get(1).testAccuracy());
        // The saved configuration rebuilds the same settings (what --resume uses).
        InvarianceSettings saved =
                InvarianceSettings.fromConfiguration(RunConfiguration.read(killed));
        assertEquals(small().describe(), saved.describe());
    }

    private int execute(StringWriter err, String... args) {
        return MogeCli.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                .execute(args);
    }

    @Test
    void resumeFlagIsCheckedBeforeAnyCompute() throws IOException {
        StringWriter err = new StringWriter();
        assertEquals(
                2,
                execute(
                        err,
                        "invariance",
                        "--resume",
                        temp.toString(),
                        "--output",
                        temp.toString()));
        assertTrue(err.toString().contains("--output and --resume both given"), err.toString());

        err = new StringWriter();
        assertEquals(2, execute(err, "invariance", "--resume", temp.toString()));
        assertTrue(err.toString().contains("holds no invariance training run"), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());

        err = new StringWriter();
        assertEquals(2, execute(err, "invariance", "--resume", temp.resolve("missing").toString()));
        assertTrue(err.toString().contains("does not exist"), err.toString());

        Path run = temp.resolve("out");
        Files.createDirectories(run.resolve("train-moe"));
        Files.writeString(run.resolve("train-moe/config.json"), "{}");
        err = new StringWriter();
        assertEquals(2, execute(err, "invariance", "--output", run.toString()));
        assertTrue(
                err.toString()
                        .contains(
                                "already holds a training run (train-moe): continue it with"
                                        + " --resume"),
                err.toString());
    }
}
