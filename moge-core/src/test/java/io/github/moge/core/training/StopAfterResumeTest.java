package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop request in a resumed run checkpoints the step it stopped at, so a run stopped on a time
 * budget more than once loses no steps.
 */
class StopAfterResumeTest {

    @TempDir Path temp;

    @Test
    void aResumedRunStoppedOnRequestCheckpointsWhereItStopped() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun training =
                    tiny.builder
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 4) {
                                            throw new IllegalStateException("kill");
                                        }
                                    })
                            .build();
            assertThrows(IllegalStateException.class, () -> training.run(run));
        }
        // resumed from the checkpoint at step 4 (checkpointEvery 4), stopped on request after its
        // first step
        TrainingSummary stopped;
        try (TinyRun tiny = new TinyRun()) {
            AtomicReference<TrainingRun> current = new AtomicReference<>();
            TrainingRun training =
                    tiny.builder
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 4) {
                                            current.get().requestStop();
                                        }
                                    })
                            .build();
            current.set(training);
            stopped = training.resume(run);
        }
        assertFalse(stopped.isCompleted());
        assertEquals(5, stopped.getStep());
        assertEquals(5, stopped.getLastCheckpoint().getState().getStep());
        assertEquals(
                "step-00000005",
                stopped.getLastCheckpoint().getDirectory().getFileName().toString());
    }
}
