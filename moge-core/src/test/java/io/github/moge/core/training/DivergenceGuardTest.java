package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.training.checkpoint.Checkpoint;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NaN in one loss component stops the run naming the step and components, or is skipped on
 * request.
 */
class DivergenceGuardTest {

    static final long BAD_STEP = 5;

    @TempDir Path temp;

    /** The standard step, except that at BAD_STEP the group-sparse term becomes NaN. */
    static final TrainingStep POISONED =
            (trainer, batch, context) -> {
                NDList predictions = trainer.forward(batch.getData(), batch.getLabels());
                if (context.getStep() == BAD_STEP) {
                    NDList poisoned = new NDList();
                    for (NDArray entry : predictions) {
                        poisoned.add(
                                AuxiliaryTerms.GROUP_SPARSE.equals(entry.getName())
                                        ? AuxiliaryTerms.named(
                                                entry.mul(Float.NaN), AuxiliaryTerms.GROUP_SPARSE)
                                        : entry);
                    }
                    predictions = poisoned;
                }
                return new StepOutput(
                        trainer.getLoss().evaluate(batch.getLabels(), predictions),
                        batch.getLabels(),
                        predictions);
            };

    @Test
    void nonFiniteLossStopsNamingStepAndComponentsAndKeepsLastCheckpoint() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun training =
                    tiny.builder.optTrainingStep(POISONED).optCheckpointEvery(2).build();
            TrainingDivergedException e =
                    assertThrows(TrainingDivergedException.class, () -> training.run(run));
            String message = e.getMessage();
            assertTrue(
                    message.startsWith("non-finite loss at step 5 (epoch 1, batch 5): loss NaN ="),
                    message);
            assertTrue(message.matches(".*SoftmaxCrossEntropyLoss \\d\\.\\d+.*"), message);
            assertTrue(message.contains("+ balance_loss "), message);
            assertTrue(message.contains("+ group_sparse_loss NaN"), message);
            assertTrue(message.contains("gradient norm NaN"), message);
            // L_gs reaches the router (and what feeds it), not the classifier head: the message
            // names them.
            assertTrue(
                    message.matches(".*; non-finite gradient norm in [^;]*router_gate \\(NaN\\).*"),
                    message);
            assertEquals(5, e.getStep());
            assertTrue(Float.isFinite(e.getComponents().get("SoftmaxCrossEntropyLoss")));
            assertTrue(
                    e.getLastCheckpoint().endsWith("step-00000004"),
                    String.valueOf(e.getLastCheckpoint()));
            // The poisoned step advanced nothing: sigma saw 5 steps.
            assertEquals(5, tiny.sigma.getStep());
        }
        CheckpointStore store = new CheckpointStore(run.resolve("checkpoints"), 3);
        List<Path> checkpoints = store.list();
        assertEquals(
                "step-00000004", checkpoints.get(checkpoints.size() - 1).getFileName().toString());
        Checkpoint last = store.verify(checkpoints.get(checkpoints.size() - 1));
        assertTrue(Float.isFinite(last.getState().getLastLoss()));
        // metrics.csv holds the steps before the bad one.
        assertEquals(1 + 5, Files.readAllLines(run.resolve("metrics.csv")).size());
    }

    @Test
    void skipAndContinueSkipsOnlyTheBadStep() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            TrainingSummary summary =
                    tiny.builder
                            .optTrainingStep(POISONED)
                            .optSkipNonFinite(true)
                            .setEpochs(1)
                            .build()
                            .run(run);
            assertTrue(summary.isCompleted());
            assertEquals(6, summary.getStep());
            assertEquals(1, summary.getSkippedSteps());
            assertEquals(5, tiny.sigma.getStep());
            assertTrue(
                    tiny.log().contains("WARNING: skipping the update: non-finite loss at step 5"),
                    tiny.log());
        }
        List<String> rows = Files.readAllLines(run.resolve("metrics.csv"));
        String header = rows.get(0);
        int skipped = List.of(header.split(",")).indexOf("skipped");
        assertEquals("1", rows.get(1 + (int) BAD_STEP).split(",")[skipped]);
        assertEquals("0", rows.get(BAD_STEP == 0 ? 2 : 1).split(",")[skipped]);
    }
}
