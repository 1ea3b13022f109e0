package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No NDArray outlives its step: after the first update creates the optimizer moments, the number of
 * arrays on the model's manager (parameters, moments, everything the trainer holds) stays constant
 * through steps, gradient clipping, checkpoints, validation and epoch ends. The resident-memory
 * figures over hundreds of steps come from the benchmark-memory command (docs/training.md).
 */
class NativeMemoryTest {

    @TempDir Path temp;

    @Test
    void arrayCountIsConstantAcrossSteps() throws IOException {
        try (TinyRun tiny = new TinyRun()) {
            List<Integer> counts = new ArrayList<>();
            tiny.builder
                    .optCheckpointEvery(2)
                    .addStepListener(
                            r -> counts.add(tiny.model.getNDManager().getManagedArrays().size()))
                    .build()
                    .run(temp.resolve("run"));
            assertEquals(18, counts.size());
            for (int i = 1; i < counts.size(); i++) {
                assertEquals(
                        counts.get(0),
                        counts.get(i),
                        "arrays alive after step " + i + ": " + counts);
            }
        }
    }
}
