package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.Trainer;
import io.github.moge.core.testing.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop that arrives during an epoch's last step (a spent {@code --max-minutes}, a signal) stops
 * the run before the epoch-level work: a checkpoint at the epoch's end, no evaluation. The resume
 * evaluates that epoch first, supersedes that checkpoint with the evaluated one, and finishes the
 * run exactly as the uninterrupted one.
 */
class StopBeforeEvaluationTest {

    @TempDir Path temp;

    /** An epoch-level evaluation that records when it runs; its value is the epoch. */
    private static final class Counting implements EpochEvaluation {
        final List<Integer> epochs = new ArrayList<>();

        @Override
        public List<String> names() {
            return List.of("epoch_value");
        }

        @Override
        public double[] evaluate(Trainer trainer, int epoch) {
            epochs.add(epoch);
            return new double[] {epoch};
        }
    }

    private static List<String> checkpoints(Path run) throws IOException {
        try (Stream<Path> list = Files.list(run.resolve("checkpoints"))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aStopAtAnEpochsLastStepSkipsItsEvaluationUntilTheResume() throws Exception {
        Path straight = temp.resolve("straight");
        Counting all = new Counting();
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.addEpochEvaluation(all).build().run(straight);
        }
        assertEquals(List.of(0, 1, 2), all.epochs);

        // Stop requested by the listener of the 6th step (index 5), the last of epoch 1 (epochs of
        // 6
        // steps).
        Path run = temp.resolve("run");
        Counting before = new Counting();
        StopRequest stop = new StopRequest();
        TrainingSummary stopped;
        try (TinyRun tiny = new TinyRun()) {
            stopped =
                    tiny.builder
                            .addEpochEvaluation(before)
                            .optStopRequest(stop)
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 5) {
                                            stop.request("test");
                                        }
                                    })
                            .build()
                            .run(run);
        }
        assertFalse(stopped.isCompleted());
        assertEquals(6, stopped.getStep());
        assertEquals(List.of(), before.epochs, "no evaluation after the stop");
        assertEquals(1, RunFiles.epochRows(run).size(), "the header only: epoch 1 is not finished");
        assertEquals(
                List.of("step-00000004", "step-00000006"),
                checkpoints(run),
                "the epoch's end is checkpointed before its evaluation");

        Counting after = new Counting();
        try (TinyRun tiny = new TinyRun()) {
            assertTrue(tiny.builder.addEpochEvaluation(after).build().resume(run).isCompleted());
        }
        assertEquals(List.of(0, 1, 2), after.epochs, "epoch 1 is evaluated first");
        assertEquals(RunFiles.stepRows(straight), RunFiles.stepRows(run));
        assertEquals(RunFiles.epochRows(straight), RunFiles.epochRows(run));
        assertEquals(checkpoints(straight), checkpoints(run), "no superseded checkpoint left");
        try (TinyRun a = new TinyRun();
                TinyRun b = new TinyRun()) {
            a.model.load(straight.resolve(TrainingRun.MODEL_DIRECTORY), TrainingRun.MODEL_PREFIX);
            b.model.load(run.resolve(TrainingRun.MODEL_DIRECTORY), TrainingRun.MODEL_PREFIX);
            var want = a.model.getBlock().getParameters();
            var got = b.model.getBlock().getParameters();
            for (int i = 0; i < want.size(); i++) {
                assertArrayEquals(
                        want.get(i).getValue().getArray().toFloatArray(),
                        got.get(i).getValue().getArray().toFloatArray(),
                        want.get(i).getKey());
            }
        }
    }
}
