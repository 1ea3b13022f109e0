package io.github.moge.core.training.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLogTest {

    @TempDir Path temp;

    private static StepRecord record(long step, double millis) {
        return new StepRecord(
                step,
                (int) (step / 5),
                (int) (step % 5),
                1.5f,
                Map.of(),
                Map.of(),
                Map.of(),
                2f,
                1e-3f,
                false,
                200,
                millis);
    }

    @Test
    void progressLinesGiveTheStepOfTheTotalAndTheTimeLeftAtTheMeanStepTime() throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        RunLog.Columns columns = new RunLog.Columns(List.of(), List.of(), List.of(), List.of());
        try (RunLog log =
                new RunLog(
                        new PrintStream(console, true, StandardCharsets.UTF_8), columns, 2, 5, 2)) {
            log.open(temp, 0, 0);
            // 10 steps in all; steps of 100 and 300 ms: a mean of 200 ms
            log.step(record(0, 100));
            log.progress(record(0, 100));
            log.step(record(1, 300));
            log.progress(record(1, 300));
            // on disk as soon as the step is logged
            assertEquals(3, Files.readAllLines(temp.resolve(RunLog.METRICS_FILE)).size());
        }
        String out = console.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), out);
        // 8 steps left x 200 ms = 1.6 s; 200 samples in 300 ms = 667 samples/s
        assertTrue(
                out.startsWith(
                        "epoch 1/2 batch 2/5 step 2/10: loss 1.50000 |g| 2.000 lr 0.00100,"
                                + " 667 samples/s, ETA 0m02s"),
                out);
    }
}
