package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.github.moge.core.testing.RunFiles;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run directory refuses: a {@code config.json} edited after the checkpoints were written, a
 * second writer while one runs, and a restart over logs that no checkpoint explains; and that a
 * resume keeps the run's checkpoint cadence.
 */
class RunDirectoryGuardsTest {

    @TempDir Path temp;

    /** Runs {@link TinyRun} into {@code dir} until it is "killed" after step 9 (checkpoint 8). */
    private static void killedAfterStep9(Path dir, int keep) {
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun run =
                    tiny.builder
                            .optKeepCheckpoints(keep)
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 9) {
                                            throw new IllegalStateException("simulated kill");
                                        }
                                    })
                            .build();
            assertThrows(IllegalStateException.class, () -> run.run(dir));
        }
    }

    private static List<Long> checkpointSteps(Path run) throws IOException {
        return new CheckpointStore(run.resolve("checkpoints"), 1)
                .list().stream()
                        .map(p -> Long.parseLong(p.getFileName().toString().substring(5)))
                        .toList();
    }

    @Test
    void editedConfigurationIsRefusedNamingEachKey() throws IOException {
        Path run = temp.resolve("run");
        killedAfterStep9(run, 3);
        Path config = run.resolve(RunConfiguration.FILE_NAME);
        String original = Files.readString(config, StandardCharsets.UTF_8);
        String edited =
                original.replace("\"model\": \"tiny\"", "\"model\": \"small\", \"experts\": 4");
        Files.writeString(config, edited, StandardCharsets.UTF_8);
        List<String> before = Files.readAllLines(run.resolve("metrics.csv"));

        // A command builds its settings from the (edited) file, so the builder agrees with it.
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun resumed =
                    tiny.builder.optConfiguration(RunConfiguration.fromJson(edited)).build();
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> resumed.resume(run));
            String message = e.getMessage();
            assertTrue(message.contains("differs from the checkpoint's copy"), message);
            assertTrue(
                    message.contains("model \"small\" (config.json) vs \"tiny\" (checkpoint)"),
                    message);
            assertTrue(message.contains("experts 4 (config.json) vs absent (checkpoint)"), message);
            assertTrue(message.contains("restore the file or start a new run"), message);
        }
        assertEquals(before, Files.readAllLines(run.resolve("metrics.csv")));

        // Restored, the run resumes.
        Files.writeString(config, original, StandardCharsets.UTF_8);
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().resume(run).isCompleted());
        }
    }

    @Test
    void secondWriterIsRefusedNamingTheHoldersPid() throws Exception {
        Path run = temp.resolve("run");
        Process first = SigkillResumeTest.fork(run, "run", 5);
        try {
            List<String> output = SigkillResumeTest.readUntil(first, "step 5");
            assertTrue(output.contains("step 5"), String.join("\n", output));
            String pid = Long.toString(first.pid());
            try (TinyRun tiny = new TinyRun()) {
                TrainingRun second = tiny.builder.build();
                IOException e = assertThrows(IOException.class, () -> second.resume(run));
                assertTrue(e.getMessage().contains("in use by process " + pid), e.getMessage());
            }
            try (TinyRun tiny = new TinyRun()) {
                // A new run into the same directory meets the run first, then the lock.
                TrainingRun second = tiny.builder.build();
                assertThrows(IOException.class, () -> second.run(run));
            }
        } finally {
            first.destroyForcibly();
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        }
        // The kernel released the killed holder's lock: the run resumes.
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().resume(run).isCompleted());
        }
    }

    @Test
    void lockIsReleasedOnExceptionsAndRefusesNewRunsWhileHeld() throws IOException {
        Path run = temp.resolve("run");
        killedAfterStep9(run, 3); // the run ended with an exception
        Path fresh = temp.resolve("fresh");
        Files.createDirectories(fresh);
        try (java.nio.channels.FileChannel channel =
                        java.nio.channels.FileChannel.open(
                                fresh.resolve(".lock"),
                                java.nio.file.StandardOpenOption.CREATE,
                                java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock held = channel.tryLock()) {
            channel.write(java.nio.ByteBuffer.wrap("4242\n".getBytes(StandardCharsets.UTF_8)));
            try (TinyRun tiny = new TinyRun()) {
                TrainingRun second = tiny.builder.build();
                IOException e = assertThrows(IOException.class, () -> second.run(fresh));
                assertTrue(e.getMessage().contains("in use by process 4242"), e.getMessage());
            }
            assertTrue(!Files.exists(fresh.resolve(RunConfiguration.FILE_NAME)));
        }
        // The run that ended with an exception released its lock: this process can take it.
        assertTrue(Files.exists(run.resolve(".lock")));
        try (java.nio.channels.FileChannel channel =
                        java.nio.channels.FileChannel.open(
                                run.resolve(".lock"), java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock lock = channel.tryLock()) {
            assertTrue(lock != null);
        }
    }

    @Test
    void runFilesHaveTheModeOfAnyNewFile() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().run(run).isCompleted());
        }
        // Not the owner-only 0600 of a JDK temporary file: what any new file gets (0644 at umask
        // 022).
        Set<PosixFilePermission> usual =
                Files.getPosixFilePermissions(Files.createFile(temp.resolve("reference")));
        for (String name : List.of(RunConfiguration.FILE_NAME, "metrics.csv", "epochs.csv")) {
            assertEquals(usual, Files.getPosixFilePermissions(run.resolve(name)), name);
        }
    }

    @Test
    void logsWithoutCheckpointsAreNeverTruncated() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().run(run).isCompleted());
        }
        try (Stream<Path> files = Files.walk(run.resolve("checkpoints"))) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        List<String> epochs = Files.readAllLines(run.resolve("epochs.csv"));
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun resumed = tiny.builder.build();
            IOException e = assertThrows(IOException.class, () -> resumed.resume(run));
            String message = e.getMessage();
            assertTrue(message.contains("metrics.csv (18 rows)"), message);
            assertTrue(message.contains("epochs.csv (3 rows)"), message);
            assertTrue(message.contains("no checkpoint that explains them"), message);
            assertTrue(message.contains("move the logs aside"), message);
        }
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));
        assertEquals(epochs, Files.readAllLines(run.resolve("epochs.csv")));

        // Nor does a new run in a directory that holds only the logs.
        Files.delete(run.resolve(RunConfiguration.FILE_NAME));
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun fresh = tiny.builder.build();
            IOException e = assertThrows(IOException.class, () -> fresh.run(run));
            assertTrue(e.getMessage().contains("metrics.csv (18 rows)"), e.getMessage());
        }
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));
    }

    @Test
    void metricsAreOnDiskAsEachStepEnds() throws IOException {
        Path run = temp.resolve("run");
        List<Long> rowsSeen = new ArrayList<>();
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.addStepListener(
                    r -> {
                        try {
                            rowsSeen.add(
                                    (long) Files.readAllLines(run.resolve("metrics.csv")).size());
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
            assertTrue(tiny.builder.build().run(run).isCompleted());
        }
        // at step s the file holds its header and the rows of steps 0..s
        for (int s = 0; s < rowsSeen.size(); s++) {
            assertEquals(s + 2L, rowsSeen.get(s), "step " + s);
        }
        assertEquals(18, rowsSeen.size());
    }

    @Test
    void aRunKilledBeforeItsFirstCheckpointRestartsOverItsLogs() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().run(run).isCompleted());
        }
        List<String> metrics = RunFiles.stepRows(run);
        // what a SIGKILL before the first checkpoint leaves: logs, and checkpoints/ empty
        try (Stream<Path> files = Files.walk(run.resolve("checkpoints"))) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(run.resolve("checkpoints"))) {
                    Files.delete(p);
                }
            }
        }
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().resume(run).isCompleted());
            assertTrue(tiny.log().contains("No checkpoint in " + run + " yet"), tiny.log());
        }
        assertEquals(metrics, RunFiles.stepRows(run));
    }

    @Test
    void aFinishedRunLeavesItsParametersInDjlFormatUnderModel() throws Exception {
        Path run = temp.resolve("run");
        try (TinyRun trained = new TinyRun()) {
            assertTrue(trained.builder.build().run(run).isCompleted());
            Path dir = run.resolve(TrainingRun.MODEL_DIRECTORY);
            assertTrue(Files.isRegularFile(dir.resolve("model-0000.params")));
            assertEquals(
                    Files.readString(run.resolve(RunConfiguration.FILE_NAME)),
                    Files.readString(dir.resolve(RunConfiguration.FILE_NAME)));
            // DJL's own load, into the same architecture built afresh, gives the final parameters
            try (TinyRun fresh = new TinyRun()) {
                fresh.model.load(dir, TrainingRun.MODEL_PREFIX);
                var want = trained.model.getBlock().getParameters();
                var got = fresh.model.getBlock().getParameters();
                assertEquals(want.size(), got.size());
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(
                            want.get(i).getValue().getArray().toFloatArray(),
                            got.get(i).getValue().getArray().toFloatArray(),
                            want.get(i).getKey());
                }
            }
            try (Stream<Path> left = Files.list(dir)) {
                assertEquals(2, left.count(), "no temporary left behind");
            }
        }
        // a run stopped before its end has no final model
        Path stopped = temp.resolve("stopped");
        try (TinyRun tiny = new TinyRun()) {
            StopRequest stop = new StopRequest();
            stop.request("test");
            tiny.builder.optStopRequest(stop);
            assertFalse(tiny.builder.build().run(stopped).isCompleted());
        }
        assertFalse(Files.exists(stopped.resolve(TrainingRun.MODEL_DIRECTORY)));
    }

    @Test
    void initialParametersFillANewRunOnceAndAResumeKeepsTheCheckpointsParameters()
            throws IOException {
        // Called once, on the initialised block, before the first step: the run trains from the
        // values it wrote (one Adam step in warm-up moves a parameter by at most its learning rate,
        // under 1e-2, where the random initialisation spreads them over tenths).
        Path run = temp.resolve("initial");
        int[] calls = {0};
        try (TinyRun tiny = new TinyRun()) {
            StopRequest stop = new StopRequest();
            tiny.builder
                    .optInitialParameters(
                            block -> {
                                calls[0]++;
                                for (var p : block.getParameters()) {
                                    assertTrue(p.getValue().isInitialized(), p.getKey());
                                    p.getValue().getArray().set(new NDIndex(":"), 0.25f);
                                }
                            })
                    .optStopRequest(stop)
                    .addStepListener(r -> stop.request("test"));
            assertFalse(tiny.builder.build().run(run).isCompleted());
            assertEquals(1, calls[0]);
            for (var p : tiny.model.getBlock().getParameters()) {
                NDArray a = p.getValue().getArray();
                assertEquals(0.25f, a.max().getFloat(), 1e-2f, p.getKey());
                assertEquals(0.25f, a.min().getFloat(), 1e-2f, p.getKey());
            }
        }
        // A resume takes the checkpoint's parameters and does not fill them again.
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(
                    tiny.builder
                            .optInitialParameters(block -> calls[0]++)
                            .build()
                            .resume(run)
                            .isCompleted());
        }
        assertEquals(1, calls[0], "not called on resume");
    }

    @Test
    void resumeKeepsTheCheckpointCadence() throws IOException {
        Path straight = temp.resolve("straight");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.optKeepCheckpoints(20).build().run(straight);
        }
        // Every 4 steps and at the ends of the epochs of 6 steps.
        assertEquals(List.of(4L, 6L, 8L, 12L, 16L, 18L), checkpointSteps(straight));

        Path interrupted = temp.resolve("interrupted");
        killedAfterStep9(interrupted, 20);
        assertEquals(List.of(4L, 6L, 8L), checkpointSteps(interrupted));
        // The resume does not repeat the cadence (as --resume without --checkpoint-every).
        try (TinyRun tiny = new TinyRun(false)) {
            tiny.builder.optKeepCheckpoints(20).build().resume(interrupted);
        }
        assertEquals(checkpointSteps(straight), checkpointSteps(interrupted));
    }
}
