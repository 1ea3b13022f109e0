package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resume reads the data the run started with and a model its checkpoint fits: the data's
 * fingerprint ({@code data.json}) is recorded when the run starts and compared on resume, and the
 * rebuilt model's parameter shapes are compared with the checkpoint's before training.
 */
class DataGuardTest {

    @TempDir Path temp;

    private Path corpus() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("corpus"));
        for (String name : List.of("ca01", "ca02", "ca03")) {
            Files.writeString(dir.resolve(name), "The/at jury/nn said/vbd ./.\n");
        }
        return dir;
    }

    private static void killedAfterStep9(TrainingRun.Builder builder, Path dir) {
        TrainingRun run =
                builder.addStepListener(
                                r -> {
                                    if (r.getStep() == 9) {
                                        throw new IllegalStateException("simulated kill");
                                    }
                                })
                        .build();
        assertThrows(IllegalStateException.class, () -> run.run(dir));
    }

    @Test
    void changedDataIsRefusedOnResumeNamingTheFile() throws IOException {
        Path data = corpus();
        Path run = temp.resolve("run");
        DataFingerprint started = DataFingerprint.of(Map.of("corpus", data), List.of(data));
        try (TinyRun tiny = new TinyRun()) {
            killedAfterStep9(tiny.builder.optDataFingerprint(started), run);
        }
        assertTrue(Files.isRegularFile(run.resolve(DataFingerprint.FILE_NAME)));
        // Unchanged, the check passes and gives the recorded absolute location back.
        DataFingerprint same = TrainingRun.resumeData(run);
        assertEquals(started, same);
        assertEquals(data.toAbsolutePath().normalize(), same.getLocation("corpus"));

        Path changed = data.resolve("ca02");
        Files.writeString(changed, "extra/nn\n", StandardOpenOption.APPEND);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TrainingRun.resumeData(run));
        String message = e.getMessage();
        assertTrue(message.contains("the data of run " + run + " changed"), message);
        assertTrue(message.contains(changed.toAbsolutePath() + ": 28 bytes, sha256 "), message);
        assertTrue(message.contains("(recorded) vs 37 bytes, sha256 "), message);
        assertTrue(!message.contains("ca01"), message);
        assertEquals(1, message.lines().count(), message);

        // The run itself refuses too, before anything is restored.
        DataFingerprint now = started.recompute();
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun resumed = tiny.builder.optDataFingerprint(now).build();
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> resumed.resume(run));
            assertTrue(refused.getMessage().contains("ca02"), refused.getMessage());
        }
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));

        // A removed or added file is named as such.
        Files.delete(data.resolve("ca03"));
        String gone =
                assertThrows(IllegalArgumentException.class, () -> TrainingRun.resumeData(run))
                        .getMessage();
        assertTrue(gone.contains("ca03"), gone);
        assertTrue(gone.contains("vs absent (now)"), gone);
    }

    @Test
    void aRunWithoutRecordedDataIsNotChecked() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            killedAfterStep9(tiny.builder, run);
        }
        assertNull(TrainingRun.resumeData(run));
    }

    @Test
    void aModelTheCheckpointDoesNotFitIsRefusedNamingTheParameter() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            killedAfterStep9(tiny.builder, run);
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        try (TinyRun other = new TinyRun(true, 12)) {
            TrainingRun resumed = other.builder.build();
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> resumed.resume(run));
            String message = e.getMessage();
            assertTrue(message.contains("does not fit the model"), message);
            assertTrue(
                    message.contains("Linear_weight' has shape (16, 8) in the checkpoint"),
                    message);
            assertTrue(message.contains("but (12, 8) in the model"), message);
        }
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));
        // The standard model still resumes: the shape check leaves an uninitialized block as it
        // was.
        try (TinyRun tiny = new TinyRun()) {
            TrainingSummary summary = tiny.builder.build().resume(run);
            assertTrue(summary.isCompleted());
        }
    }

    @Test
    void manyFilesAreFingerprintedPerDirectory() throws IOException {
        Path root = temp.resolve("images");
        for (int c = 0; c < 3; c++) {
            Path dir = Files.createDirectories(root.resolve("class" + c));
            int n = c == 0 ? DataFingerprint.MAX_FILE_ENTRIES : 2;
            for (int i = 0; i < n; i++) {
                Files.write(dir.resolve(i + ".png"), new byte[1]);
            }
        }
        DataFingerprint before = DataFingerprint.of(Map.of("train", root), List.of(root));
        assertEquals(List.of(), before.differences(before.recompute()));
        Files.write(root.resolve("class2").resolve("extra.png"), new byte[3]);
        List<String> differences = before.differences(before.recompute());
        assertEquals(1, differences.size(), differences.toString());
        String d = differences.get(0);
        assertTrue(
                d.startsWith(root.toAbsolutePath().resolve("class2") + "/: 2 files, 2 bytes"), d);
        assertTrue(d.contains("(recorded) vs 3 files, 5 bytes"), d);
        assertNotNull(DataFingerprint.fromJson(before.toJson()));
        assertEquals(before, DataFingerprint.fromJson(before.toJson()));
    }
}
