package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.checkpoint.CheckpointStore;
import io.github.moge.core.training.checkpoint.CorruptCheckpointException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt or truncated checkpoints are refused with a clear message; fallback only when asked. */
class CheckpointCorruptionTest {

    @TempDir Path temp;
    Path run;
    CheckpointStore store;

    /** One epoch of 6 steps with a checkpoint every 2: checkpoints at steps 2, 4 and 6 remain. */
    @BeforeEach
    void trainOneEpoch() throws IOException {
        run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.setEpochs(1).optCheckpointEvery(2).build().run(run);
        }
        store = new CheckpointStore(run.resolve("checkpoints"), 3);
        assertEquals(3, store.list().size());
        for (Path checkpoint : store.list()) {
            store.verify(checkpoint);
        }
    }

    private Path newest() throws IOException {
        List<Path> all = store.list();
        return all.get(all.size() - 1);
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0x01);
        }
    }

    @Test
    void flippedByteIsRefusedNamingFileAndFallback() throws IOException {
        Path params = newest().resolve(CheckpointStore.PARAMETERS_FILE);
        flipByte(params, Files.size(params) / 2);
        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> store.latest(false, w -> {}));
        assertTrue(
                e.getMessage()
                        .contains(
                                "step-00000006 is corrupt: model-0000.params does not match its"
                                        + " SHA-256"),
                e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains(
                                "previous checkpoint step-00000004 instead, pass --allow-fallback"),
                e.getMessage());
        // Resuming the run refuses too, and changes nothing on disk.
        try (TinyRun tiny = new TinyRun()) {
            CorruptCheckpointException again =
                    assertThrows(
                            CorruptCheckpointException.class,
                            () -> tiny.builder.setEpochs(1).build().resume(run));
            assertEquals(e.getMessage(), again.getMessage());
        }
        assertEquals(3, store.list().size());
    }

    @Test
    void truncatedFileIsRefusedAndFallbackResumesFromPrevious() throws IOException {
        Path optimizer = newest().resolve(CheckpointStore.OPTIMIZER_FILE);
        try (RandomAccessFile raf = new RandomAccessFile(optimizer.toFile(), "rw")) {
            raf.setLength(raf.length() / 3);
        }
        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> store.latest(false, w -> {}));
        assertTrue(
                e.getMessage().contains("optimizer.ndlist does not match its SHA-256"),
                e.getMessage());
        assertTrue(e.getMessage().contains("truncated or corrupt"), e.getMessage());

        try (TinyRun tiny = new TinyRun()) {
            TrainingSummary summary =
                    tiny.builder
                            .setEpochs(1)
                            .optCheckpointEvery(2)
                            .optAllowFallback(true)
                            .build()
                            .resume(run);
            assertEquals(4, summary.getStartStep());
            assertEquals(6, summary.getStep());
            assertTrue(summary.isCompleted());
            assertTrue(tiny.log().contains("WARNING: checkpoint"), tiny.log());
            assertTrue(tiny.log().contains("falling back to the previous checkpoint"), tiny.log());
        }
        // The refused checkpoint was moved aside, not deleted, and a fresh step-6 checkpoint
        // written.
        try (Stream<Path> files = Files.list(run.resolve("checkpoints"))) {
            assertTrue(
                    files.anyMatch(
                            p -> p.getFileName().toString().startsWith("corrupt-step-00000006-")));
        }
        store.verify(newest());
        assertEquals(6, store.verify(newest()).getState().getStep());
    }

    @Test
    void missingOrDamagedManifestAndStateAreRefused() throws IOException {
        Path checkpoint = newest();
        Path manifest = checkpoint.resolve("MANIFEST.sha256");
        List<String> lines = Files.readAllLines(manifest);
        Files.write(manifest, lines.subList(0, 2));
        CorruptCheckpointException truncated =
                assertThrows(CorruptCheckpointException.class, () -> store.verify(checkpoint));
        assertTrue(truncated.getMessage().contains("does not list"), truncated.getMessage());

        Files.write(manifest, lines);
        store.verify(checkpoint);
        Files.delete(manifest);
        CorruptCheckpointException missing =
                assertThrows(CorruptCheckpointException.class, () -> store.verify(checkpoint));
        assertTrue(missing.getMessage().contains("has no MANIFEST.sha256"), missing.getMessage());

        Files.write(manifest, lines);
        Files.delete(checkpoint.resolve("state.json"));
        CorruptCheckpointException gone =
                assertThrows(CorruptCheckpointException.class, () -> store.verify(checkpoint));
        assertTrue(gone.getMessage().contains("state.json is missing"), gone.getMessage());
    }

    @Test
    void everyCheckpointCorruptIsRefusedEvenWithFallback() throws IOException {
        for (Path checkpoint : store.list()) {
            flipByte(checkpoint.resolve("state.json"), 3);
        }
        CorruptCheckpointException e =
                assertThrows(CorruptCheckpointException.class, () -> store.latest(true, w -> {}));
        assertTrue(e.getMessage().contains("no intact checkpoint"), e.getMessage());
        assertFalse(store.list().iterator().hasNext());
    }
}
