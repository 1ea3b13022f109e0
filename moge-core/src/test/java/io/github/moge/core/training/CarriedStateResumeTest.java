package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.testing.RunFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step that carries state from batch to batch (as the language model carries its attention
 * memory) resumes exactly when it saves and restores that state through the checkpoint, and a
 * resumed run that ignores it differs.
 */
class CarriedStateResumeTest {

    @TempDir Path temp;

    /** Adds a running mean of past inputs to every input; the mean is reset at each epoch start. */
    static final class MemoryStep implements TrainingStep {

        private final boolean checkpointed;
        private NDManager memoryManager;
        private NDArray memory;

        MemoryStep(boolean checkpointed) {
            this.checkpointed = checkpointed;
        }

        @Override
        public StepOutput forward(Trainer trainer, Batch batch, StepContext context) {
            if (memoryManager == null) {
                memoryManager = trainer.getManager().newSubManager();
            }
            NDArray data = batch.getData().head();
            NDArray input = memory == null ? data : data.add(memory.mul(0.5f));
            NDList predictions = trainer.forward(new NDList(input), batch.getLabels());
            // The new memory leaves the step's scope: detached from the graph, on a long-lived
            // manager.
            NDArray mean = data.mean(new int[] {0}).stopGradient();
            NDArray next = memory == null ? mean : memory.mul(0.9f).add(mean.mul(0.1f));
            next.attach(memoryManager);
            if (memory != null && memory != next) {
                memory.close();
            }
            memory = next;
            return new StepOutput(
                    trainer.getLoss().evaluate(batch.getLabels(), predictions),
                    batch.getLabels(),
                    predictions);
        }

        @Override
        public void onEpochStart(int epoch) {
            if (memory != null) {
                memory.close();
                memory = null;
            }
        }

        @Override
        public NDList saveState() {
            return checkpointed && memory != null ? new NDList(memory) : new NDList();
        }

        @Override
        public void loadState(NDList state) {
            memory = state.isEmpty() ? null : state.head();
        }
    }

    private static List<String> losses(Path run) throws IOException {
        return RunFiles.stepRows(run).stream().map(l -> l.split(",")[3]).toList();
    }

    private Path interruptedAndResumed(String name, boolean checkpointed) throws IOException {
        Path run = temp.resolve(name);
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun training =
                    tiny.builder
                            .optTrainingStep(new MemoryStep(checkpointed))
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 9) {
                                            throw new IllegalStateException("kill");
                                        }
                                    })
                            .build();
            assertThrows(IllegalStateException.class, () -> training.run(run));
        }
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.optTrainingStep(new MemoryStep(checkpointed)).build().resume(run);
        }
        return run;
    }

    @Test
    void carriedStateIsCheckpointedAndResumedExactly() throws IOException {
        Path straight = temp.resolve("straight");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.optTrainingStep(new MemoryStep(true)).build().run(straight);
        }
        List<String> expected = losses(straight);
        assertEquals(expected, losses(interruptedAndResumed("checkpointed", true)));
        // Without its state in the checkpoint the resumed step 8 sees no memory and diverges from
        // the
        // uninterrupted run: this is what saveState/loadState are for.
        List<String> forgetful = losses(interruptedAndResumed("forgetful", false));
        assertEquals(expected.subList(0, 9), forgetful.subList(0, 9));
        assertNotEquals(expected.get(9), forgetful.get(9));
    }
}
