package io.github.moge.lm.training;

import static io.github.moge.core.testing.RunFiles.epochRows;
import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.StepContext;
import io.github.moge.core.training.StepOutput;
import io.github.moge.core.training.TrainingStep;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.data.Vocabulary;
import io.github.moge.lm.model.MoeTransformerLm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language model on the shared training loop resumes exactly: a tiny SMoGE LM with everything
 * that carries state (attention memory, dropout, noisy routing, balance and group-sparse losses on
 * a sigma schedule, Adam on a warm-up) on a synthetic token stream, interrupted in the middle of an
 * epoch and resumed, gives the uninterrupted run's per-step metrics bit for bit.
 */
class LmTrainingResumeTest {

    private static final int VOCABULARY = 40;
    private static final int ROWS = 4;
    private static final int BLOCK = 8;
    private static final int EPOCHS = 2;
    private static final int STEPS_PER_EPOCH = 6;

    /**
     * The step after which the interrupted run crashes: epoch 2, batch 3, so the memory is not
     * zero.
     */
    private static final int CRASH_AFTER = 8;

    @TempDir Path temp;

    private final PrintStream quiet =
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    /**
     * A stream with structure to learn: mostly next = 3 * previous + 1 (mod V), 1 in 4 tokens
     * random.
     */
    private static int[] stream(int length, long seed) {
        Random random = new Random(seed);
        int[] out = new int[length];
        for (int i = 1; i < length; i++) {
            out[i] =
                    random.nextInt(4) == 0
                            ? random.nextInt(VOCABULARY)
                            : (3 * out[i - 1] + 1) % VOCABULARY;
        }
        return out;
    }

    private static Corpus corpus() {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < VOCABULARY; i++) {
            words.add("w" + i);
        }
        return new Corpus(
                "synthetic",
                Vocabulary.fromTraining(words, 0),
                stream(2000, 1),
                stream(300, 2),
                stream(300, 3));
    }

    private LmTraining.Builder training(LmTraining.RunOptions options) {
        SigmaSchedule sigma =
                SigmaSchedule.builder()
                        .setMax(10f)
                        .setMin(1.5f)
                        .setPower(0.3f)
                        .setTotalSteps(EPOCHS * STEPS_PER_EPOCH)
                        .build();
        MoeTransformerLm lm =
                MoeTransformerLm.builder()
                        .setVocabularySize(VOCABULARY + 2)
                        .optWidth(16)
                        .optHeads(2)
                        .optLayers(2)
                        .optSpan(8)
                        .optHiddenSize(8)
                        .optExperts(9)
                        .optTopK(2)
                        .optDropout(0.1f)
                        .optTrainingNoise(true)
                        .optSwitchBalance(true)
                        .optGroupSparse(sigma)
                        .build();
        return LmTraining.builder()
                .setModel(lm)
                .setCorpus(corpus())
                .setBatch(ROWS, BLOCK)
                .optEvalBatch(2)
                .setEpochs(EPOCHS)
                .setLearningRate(5e-3f, 3)
                .optAuxiliaryWeights(0.01f, 0.01f)
                .optMaxStepsPerEpoch(STEPS_PER_EPOCH)
                .setSeed(7)
                .optConfiguration(RunConfiguration.of(Map.of("model", "tiny-smoge-lm")))
                .optLog(quiet)
                .optProgressEvery(0)
                .optRunOptions(options);
    }

    private static LmTraining.RunOptions checkpointEveryStep() {
        return (b, dir) -> b.optCheckpointEvery(1);
    }

    private static LmTraining.RunOptions crashAfter(int step) {
        return (b, dir) ->
                b.optCheckpointEvery(1)
                        .addStepListener(
                                r -> {
                                    if (r.getStep() == step) {
                                        throw new IllegalStateException(
                                                "simulated kill after step " + step);
                                    }
                                });
    }

    private static String loss(List<String> rows, int step) {
        return rows.get(step + 1).split(",")[3];
    }

    private LmTraining.Summary straight(Path run) throws IOException {
        try (LmTraining training = training(checkpointEveryStep()).build()) {
            return training.run(run);
        }
    }

    private void crash(Path run) {
        try (LmTraining training = training(crashAfter(CRASH_AFTER)).build()) {
            assertThrows(IllegalStateException.class, () -> training.run(run));
        }
    }

    @Test
    void interruptedMidEpochResumesBitForBit() throws IOException {
        Path straight = temp.resolve("straight");
        LmTraining.Summary expected = straight(straight);
        assertTrue(expected.isCompleted());
        assertEquals(EPOCHS * STEPS_PER_EPOCH, expected.getSteps());
        List<String> rows = stepRows(straight);
        assertEquals(1 + EPOCHS * STEPS_PER_EPOCH, rows.size());
        assertTrue(
                rows.get(0)
                        .startsWith(
                                "step,epoch,batch,loss,ce,balance_loss,group_sparse_loss,grad_norm,"
                                        + "learning_rate"),
                rows.get(0));
        assertTrue(Files.isRegularFile(straight.resolve("lm-best-0000.params")));

        Path killed = temp.resolve("killed");
        crash(killed);
        LmTraining.Summary resumed;
        try (LmTraining training = training(checkpointEveryStep()).build()) {
            resumed = training.resume(killed);
        }
        // Loss, every component, gradient norm and learning rate of every step, bit for bit.
        assertEquals(rows, stepRows(killed));
        assertEquals(loss(rows, CRASH_AFTER), loss(stepRows(killed), CRASH_AFTER));
        assertEquals(epochRows(straight), epochRows(killed));
        assertTrue(epochRows(killed).get(0).contains("validation_perplexity"));
        assertEquals(expected.getValidPerplexity(), resumed.getValidPerplexity());
        assertEquals(expected.getBestEpoch(), resumed.getBestEpoch());
        assertEquals(expected.getTestPerplexity(), resumed.getTestPerplexity());
        assertTrue(
                Double.isFinite(expected.getTestPerplexity()) && expected.getTestPerplexity() > 1);
    }

    /**
     * Delegates to the real step but ignores the memory in the checkpoint, as a step without it
     * would.
     */
    private static final class ForgetfulStep implements TrainingStep {
        private final TrainingStep step;

        ForgetfulStep(TrainingStep step) {
            this.step = step;
        }

        @Override
        public StepOutput forward(Trainer trainer, Batch batch, StepContext context) {
            return step.forward(trainer, batch, context);
        }

        @Override
        public void onEpochStart(int epoch) {
            step.onEpochStart(epoch);
        }

        @Override
        public NDList saveState() {
            return step.saveState();
        }

        @Override
        public void loadState(NDList state) {
            state.close();
        }
    }

    @Test
    void resumeRestoresTheCarriedMemory() throws IOException {
        Path straight = temp.resolve("straight");
        straight(straight);
        List<String> expected = stepRows(straight);

        Path killed = temp.resolve("forgetful");
        crash(killed);
        // The same resume with a step that drops the memory restored from the checkpoint.
        AtomicReference<LmTraining> current = new AtomicReference<>();
        LmTraining.RunOptions forgetful =
                (b, dir) -> {
                    Model model = current.get().getModel();
                    b.optCheckpointEvery(1)
                            .optTrainingStep(
                                    new ForgetfulStep(
                                            new LmTrainingStep(
                                                    (MoeTransformerLm) model.getBlock(),
                                                    ROWS,
                                                    model.getNDManager())));
                };
        try (LmTraining training = training(forgetful).build()) {
            current.set(training);
            training.resume(killed);
        }
        List<String> rows = stepRows(killed);
        assertEquals(expected.subList(0, 1 + CRASH_AFTER), rows.subList(0, 1 + CRASH_AFTER));
        // Only the restored memory makes the first resumed step equal the uninterrupted one.
        assertNotEquals(loss(expected, CRASH_AFTER), loss(rows, CRASH_AFTER));
    }

    @Test
    void timeBudgetStopsWithACheckpointAndResumesCompleteTheSameRun() throws IOException {
        Path straight = temp.resolve("straight");
        LmTraining.Summary expected = straight(straight);

        // A clock that advances one second per reading: the budget of 8.5 s is spent after step 8.
        AtomicLong seconds = new AtomicLong();
        Path stopped = temp.resolve("stopped");
        LmTraining.Summary partial;
        try (LmTraining training =
                training((b, dir) -> {})
                        .optMaxSeconds(8.5)
                        .optClock(() -> seconds.getAndIncrement() * 1_000_000_000L)
                        .build()) {
            partial = training.run(stopped);
        }
        assertFalse(partial.isCompleted());
        assertEquals(CRASH_AFTER + 1, partial.getSteps());
        assertEquals(1, partial.getEpochsFinished());
        assertEquals(0, partial.getBestEpoch());
        assertTrue(
                Files.isDirectory(stopped.resolve("checkpoints/step-00000009")),
                "the stop checkpoints");
        assertTrue(
                Files.readString(stopped.resolve(LmTraining.SUMMARY_FILE))
                        .contains("\"completed\": false"));

        // A second budget, spent after two more steps: the resumed run also stops with a
        // checkpoint.
        AtomicLong again = new AtomicLong();
        try (LmTraining training =
                training((b, dir) -> {})
                        .optMaxSeconds(1.5)
                        .optClock(() -> again.getAndIncrement() * 1_000_000_000L)
                        .build()) {
            partial = training.resume(stopped);
        }
        assertFalse(partial.isCompleted());
        assertEquals(CRASH_AFTER + 3, partial.getSteps());
        assertTrue(
                Files.isDirectory(stopped.resolve("checkpoints/step-00000011")),
                "the second stop checkpoints");

        LmTraining.Summary resumed;
        try (LmTraining training =
                training(
                                (b, dir) ->
                                        b.addStepListener(
                                                r -> {
                                                    if (r.getStep() < CRASH_AFTER + 3) {
                                                        throw new IllegalStateException(
                                                                "step "
                                                                        + r.getStep()
                                                                        + " was trained twice");
                                                    }
                                                }))
                        .build()) {
            resumed = training.resume(stopped);
        }
        assertTrue(resumed.isCompleted());
        assertEquals(stepRows(straight), stepRows(stopped));
        assertEquals(epochRows(straight), epochRows(stopped));
        assertEquals(expected.getValidPerplexity(), resumed.getValidPerplexity());
        assertEquals(expected.getTestPerplexity(), resumed.getTestPerplexity());
    }

    @Test
    void epochsThatContinueTheStreamCarryTheMemoryAcrossTheirBoundary() throws IOException {
        // Two epochs of 6 continuing batches see blocks 0..11 with the memory carried throughout,
        // exactly as
        // one epoch of 12 batches does: every step's loss, gradient norm and learning rate agree.
        Path continuing = temp.resolve("continuing");
        try (LmTraining training =
                training((b, dir) -> {}).optMaxStepsPerEpoch(0).optBatchesPerEpoch(6).build()) {
            training.run(continuing);
        }
        Path single = temp.resolve("single");
        try (LmTraining training =
                training((b, dir) -> {})
                        .setEpochs(1)
                        .optMaxStepsPerEpoch(EPOCHS * STEPS_PER_EPOCH)
                        .build()) {
            training.run(single);
        }
        List<String> a = stepRows(continuing);
        List<String> b = stepRows(single);
        assertEquals(b.size(), a.size());
        assertEquals("6,1,0", a.get(7).substring(0, 5), "step 6 is batch 0 of epoch 1");
        for (int i = 1; i < a.size(); i++) {
            assertEquals(afterPosition(b.get(i)), afterPosition(a.get(i)), "step " + (i - 1));
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> training((b2, dir) -> {}).optBatchesPerEpoch(6).build());
    }

    private static String afterPosition(String row) {
        String[] cells = row.split(",", 4);
        return cells[3];
    }

    @Test
    void nativeArraysStayConstantAcrossStepsEpochsAndValidation() throws IOException {
        List<Integer> counts = new ArrayList<>();
        AtomicReference<LmTraining> current = new AtomicReference<>();
        try (LmTraining training =
                training(
                                (b, dir) ->
                                        b.optCheckpointEvery(2)
                                                .addStepListener(
                                                        r ->
                                                                counts.add(
                                                                        current.get()
                                                                                .getModel()
                                                                                .getNDManager()
                                                                                .getManagedArrays()
                                                                                .size())))
                        .build()) {
            current.set(training);
            training.run(temp.resolve("run"));
        }
        assertEquals(EPOCHS * STEPS_PER_EPOCH, counts.size());
        for (int i = 1; i < counts.size(); i++) {
            assertEquals(
                    counts.get(0), counts.get(i), "arrays alive after step " + i + ": " + counts);
        }
    }
}
