package io.github.moge.core.training;

import static io.github.moge.core.testing.RunFiles.epochRows;
import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed mid-epoch and resumed from its last checkpoint continues exactly like the
 * uninterrupted run.
 */
class TrainingRunResumeTest {

    @TempDir Path temp;

    static List<float[]> parameters(TinyRun tiny) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : tiny.model.getBlock().getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    void killedMidEpochResumesBitwise() throws IOException {
        Path straight = temp.resolve("straight");
        List<String> expected;
        List<float[]> expectedParameters;
        TrainingSummary full;
        try (TinyRun tiny = new TinyRun()) {
            full = tiny.builder.build().run(straight);
            expected = stepRows(straight);
            expectedParameters = parameters(tiny);
            assertEquals(18, full.getStep());
            assertTrue(full.isCompleted());
            assertEquals(18, tiny.sigma.getStep());
        }

        Path interrupted = temp.resolve("interrupted");
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun run =
                    tiny.builder
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 9) {
                                            throw new IllegalStateException(
                                                    "simulated kill after step 9");
                                        }
                                    })
                            .build();
            IllegalStateException kill =
                    assertThrows(IllegalStateException.class, () -> run.run(interrupted));
            assertEquals("simulated kill after step 9", kill.getMessage());
        }
        // Steps 8 and 9 ran after the last checkpoint (step 8, mid-epoch 2) and will be redone.
        assertEquals(11, Files.readAllLines(interrupted.resolve("metrics.csv")).size());
        assertTrue(Files.isDirectory(interrupted.resolve("checkpoints/step-00000008")));

        try (TinyRun tiny = new TinyRun()) {
            TrainingSummary resumed = tiny.builder.build().resume(interrupted);
            assertEquals(8, resumed.getStartStep());
            assertEquals(18, resumed.getStep());
            assertTrue(resumed.isCompleted());
            assertEquals(18, tiny.sigma.getStep());
            assertTrue(tiny.log().contains("Resuming"), tiny.log());
            assertEquals(expected, stepRows(interrupted));
            List<float[]> actual = parameters(tiny);
            for (int i = 0; i < actual.size(); i++) {
                assertArrayEquals(expectedParameters.get(i), actual.get(i), 0f, "parameter " + i);
            }
            // Epoch summaries agree too, including the epoch that was interrupted.
            assertEquals(epochRows(straight), epochRows(interrupted));
        }
        // Only the newest 3 checkpoints are kept.
        assertEquals(3, new CheckpointStore(interrupted.resolve("checkpoints"), 3).list().size());
    }

    @Test
    void existingRunDirectoryIsRefusedNotOverwritten() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.setEpochs(1).optConfiguration(RunConfiguration.empty()).build().run(run);
        }
        try (TinyRun tiny = new TinyRun()) {
            IOException e = assertThrows(IOException.class, () -> tiny.builder.build().run(run));
            assertTrue(
                    e.getMessage().contains("already holds a run: resume it with --resume"),
                    e.getMessage());
        }
        try (TinyRun tiny = new TinyRun()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> tiny.builder.build().resume(run));
            assertTrue(e.getMessage().contains("differs from"), e.getMessage());
        }
    }
}
