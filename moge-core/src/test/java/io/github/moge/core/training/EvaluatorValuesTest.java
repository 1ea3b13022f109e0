package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL's Accuracy returns the number of correct predictions from {@code evaluate}; the loop logs it
 * as the fraction of the batch, per step and as epoch means.
 */
class EvaluatorValuesTest {

    @TempDir Path temp;

    @Test
    void accuracyIsLoggedAsAFractionOfTheBatch() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.build().run(run);
        }
        List<String> steps = Files.readAllLines(run.resolve("metrics.csv"));
        int column = List.of(steps.get(0).split(",")).indexOf("Accuracy");
        double best = 0;
        for (String row : steps.subList(1, steps.size())) {
            double accuracy = Double.parseDouble(row.split(",")[column]);
            double correct = accuracy * TinyRun.BATCH;
            assertTrue(accuracy >= 0 && accuracy <= 1, row);
            assertEquals(
                    Math.rint(correct), correct, 1e-4, "a whole number of correct samples: " + row);
            best = Math.max(best, accuracy);
        }
        assertTrue(best > 0.5, "the tiny model learns: best batch accuracy " + best);
        List<String> epochs = Files.readAllLines(run.resolve("epochs.csv"));
        List<String> header = List.of(epochs.get(0).split(","));
        for (String row : epochs.subList(1, epochs.size())) {
            String[] v = row.split(",");
            for (String name : new String[] {"train_Accuracy", "validation_Accuracy"}) {
                double accuracy = Double.parseDouble(v[header.indexOf(name)]);
                assertTrue(accuracy >= 0 && accuracy <= 1, name + " " + row);
            }
        }
    }
}
