package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.testing.RunFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link StopRequest} set from another thread (as a signal handler does) stops the run after the
 * step in progress with a checkpoint at that step, and a resume (which removes a stale {@code
 * .tmp-step-*} directory a SIGKILL left) completes the uninterrupted run.
 */
class StopRequestTest {

    @TempDir Path temp;

    @Test
    void aRequestFromAnotherThreadStopsWithACheckpointAndResumeCompletesTheRun() throws Exception {
        Path straight = temp.resolve("straight");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.build().run(straight);
        }

        Path run = temp.resolve("run");
        StopRequest stop = new StopRequest();
        TrainingSummary stopped;
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun training =
                    tiny.builder
                            .optStopRequest(stop)
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 5) {
                                            Thread other =
                                                    new Thread(() -> stop.request("SIGTERM"));
                                            other.start();
                                            try {
                                                other.join();
                                            } catch (InterruptedException e) {
                                                throw new IllegalStateException(e);
                                            }
                                        }
                                    })
                            .build();
            stopped = training.run(run);
        }
        assertTrue(stop.isRequested());
        assertEquals("SIGTERM", stop.getReason());
        assertFalse(stopped.isCompleted());
        assertEquals(6, stopped.getStep());
        assertEquals(
                "step-00000006",
                stopped.getLastCheckpoint().getDirectory().getFileName().toString());
        try (Stream<Path> list = Files.list(run.resolve("checkpoints"))) {
            assertEquals(
                    List.of(),
                    list.filter(p -> p.getFileName().toString().startsWith(".")).toList());
        }

        stop.request("later");
        assertEquals("SIGTERM", stop.getReason(), "the first reason is kept");
        // What a SIGKILL while writing the next checkpoint leaves: a half-written temporary
        // directory, which the resume removes.
        Path partial = Files.createDirectories(run.resolve("checkpoints/.tmp-step-00000008-12345"));
        Files.write(partial.resolve("model-0000.params"), new byte[] {1, 2, 3});
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.build().resume(run).isCompleted());
        }
        assertFalse(Files.exists(partial), "the stale temporary checkpoint is removed");
        assertEquals(RunFiles.stepRows(straight), RunFiles.stepRows(run));
    }
}
