package io.github.moge.lm.training;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.util.Pair;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.data.StreamBatcher;
import io.github.moge.lm.eval.LmEvaluator;
import io.github.moge.lm.eval.Perplexity;
import io.github.moge.lm.eval.TokenCrossEntropyLoss;
import io.github.moge.lm.model.MoeTransformerLm;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Trains a {@link MoeTransformerLm} on a {@link Corpus} with DJL's {@link Trainer}: Adam with linear
 * warm-up, {@link MoeLoss} (token cross-entropy + weighted balance and group-sparse terms), optional
 * global-norm gradient clipping (DJL's optClipGrad is one-sided), the attention memory carried from each
 * block to the next block of the same streams, the sigma schedule advanced once per optimizer step,
 * validation perplexity after every epoch, the best-on-validation parameters kept and evaluated once on
 * test.
 *
 * <p>The per-step work is {@link #trainStep}, a function of (block, memory) returning the next memory, so
 * the loop can move onto a shared training loop later. Outputs under the run directory: {@code
 * metrics.csv} (one row per epoch), {@code lm-best-0000.params} (the best checkpoint) and {@code
 * best.json}. Resuming is not supported yet.
 */
public final class LmTrainer implements AutoCloseable {

    private final MoeTransformerLm lm;
    private final Corpus corpus;
    private final Settings settings;
    private final Model model;
    private final Trainer trainer;
    private final MoeLoss loss;
    private final List<MoeBlock> moeBlocks;
    private final StreamBatcher train;
    private final ParameterStore evalStore;
    private int step;

    /**
     * Creates a trainer and initialises the model.
     *
     * @param lm the model (built with the schedule's total steps, see {@link #stepsPerEpoch})
     * @param corpus the corpus
     * @param settings the optimisation settings
     */
    public LmTrainer(MoeTransformerLm lm, Corpus corpus, Settings settings) {
        this.lm = lm;
        this.corpus = corpus;
        this.settings = settings;
        this.train = new StreamBatcher(corpus.getTrain(), settings.batch, settings.block, false);
        this.loss =
                MoeLoss.builder()
                        .setBaseLoss(new TokenCrossEntropyLoss())
                        .optBalanceWeight(settings.balanceWeight)
                        .optGroupSparseWeight(settings.groupSparseWeight)
                        .build();
        Tracker lr =
                settings.warmup > 0
                        ? WarmUpTracker.builder()
                                .setMainTracker(Tracker.fixed(settings.learningRate))
                                .optWarmUpSteps(settings.warmup)
                                .optWarmUpBeginValue(0f)
                                .build()
                        : Tracker.fixed(settings.learningRate);
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(loss).optOptimizer(Adam.builder().optLearningRateTracker(lr).build());
        this.model = Model.newInstance("moge-lm");
        model.setBlock(lm);
        this.trainer = model.newTrainer(config);
        trainer.initialize(lm.inputShapes(settings.batch, settings.block));
        this.moeBlocks = SigmaScheduleListener.findMoeBlocks(lm);
        this.evalStore = new ParameterStore(model.getNDManager(), false);
    }

    /**
     * Returns the optimizer steps of one epoch, to size the sigma schedule before building the model.
     *
     * @param corpus the corpus
     * @param batch B
     * @param block M
     * @return blocks per epoch
     */
    public static int stepsPerEpoch(Corpus corpus, int batch, int block) {
        return new StreamBatcher(corpus.getTrain(), batch, block, false).size();
    }

    /**
     * Runs one training step on a block.
     *
     * @param scope the manager of this step (closed by the caller after the memory has been moved out)
     * @param tokens [B, M] inputs
     * @param labels [B, M] next tokens
     * @param memory the memory from the previous block
     * @return (cross-entropy, auxiliary loss) on the host, and the next memory (detached, on {@code scope})
     */
    public StepResult trainStep(NDManager scope, NDArray tokens, NDArray labels, NDList memory) {
        for (MoeBlock block : moeBlocks) {
            block.setScheduleStep(step);
        }
        NDList out;
        float ce;
        float total;
        try (GradientCollector collector = trainer.newGradientCollector()) {
            out = trainer.forward(new NDList(tokens).addAll(memory));
            NDArray ceArray = loss.getTerms().get(0).evaluate(new NDList(labels), out);
            NDArray totalArray = loss.evaluate(new NDList(labels), out);
            collector.backward(totalArray);
            ce = ceArray.getFloat();
            total = totalArray.getFloat();
        }
        if (!Float.isFinite(total)) {
            throw new IllegalStateException(
                    "loss became " + total + " at step " + step + "; lower the learning rate or set --clip-grad");
        }
        if (settings.clipNorm > 0) {
            clipGlobalNorm(scope, settings.clipNorm);
        }
        trainer.step();
        step++;
        NDList next = new NDList();
        for (int l = 0; l < memory.size(); l++) {
            next.add(out.get(l + 1));
        }
        return new StepResult(ce, total - ce, next);
    }

    private void clipGlobalNorm(NDManager scope, float maxNorm) {
        NDArray sumSquares = null;
        for (Pair<String, Parameter> pair : lm.getParameters()) {
            NDArray grad = pair.getValue().getArray().getGradient();
            grad.attach(scope); // the gradient view and ops on it land on the parameter's manager otherwise
            NDArray s = grad.square().sum();
            sumSquares = sumSquares == null ? s : sumSquares.add(s);
        }
        if (sumSquares == null) {
            return;
        }
        float norm = (float) Math.sqrt(sumSquares.getFloat());
        if (norm > maxNorm) {
            float scale = maxNorm / (norm + 1e-6f);
            for (Pair<String, Parameter> pair : lm.getParameters()) {
                NDArray grad = pair.getValue().getArray().getGradient();
                grad.attach(scope);
                grad.muli(scale);
            }
        }
    }

    /**
     * Trains for the configured epochs (or until the time limit), evaluating on validation after each
     * epoch, then evaluates the best checkpoint on test.
     *
     * @param runDirectory where metrics and checkpoints go (created; must not hold a finished run)
     * @param progress receives progress, or null
     * @return the summary
     * @throws IOException if the run directory cannot be written
     */
    public Summary fit(Path runDirectory, Progress progress) throws IOException {
        Files.createDirectories(runDirectory);
        if (Files.exists(runDirectory.resolve("best.json"))) {
            throw new IOException(
                    runDirectory + " already holds a run (best.json); choose a new --output directory");
        }
        Path csv = runDirectory.resolve("metrics.csv");
        try (Writer out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.write("epoch,steps,train_ce,train_aux,valid_ppl,train_tokens_per_s,elapsed_s\n");
        }
        long start = System.nanoTime();
        double best = Double.POSITIVE_INFINITY;
        int bestEpoch = -1;
        long trainedTokens = 0;
        double trainSeconds = 0;
        int stepsPerEpoch = settings.maxStepsPerEpoch > 0 ? Math.min(train.size(), settings.maxStepsPerEpoch) : train.size();
        NDManager root = model.getNDManager();
        int epoch = 0;
        boolean outOfTime = false;
        while (epoch < settings.epochs && !outOfTime) {
            epoch++;
            long epochStart = System.nanoTime();
            double ceSum = 0;
            double auxSum = 0;
            int steps = 0;
            NDManager memoryScope = root.newSubManager();
            NDList memory = lm.initialMemory(memoryScope, settings.batch);
            for (int j = 0; j < stepsPerEpoch; j++) {
                NDManager nextScope = root.newSubManager();
                try (NDManager scope = root.newSubManager()) {
                    NDList batch = train.get(scope, j);
                    StepResult result = trainStep(scope, batch.get(0), batch.get(1), memory);
                    result.memory.attach(nextScope);
                    memory = result.memory;
                    ceSum += result.crossEntropy;
                    auxSum += result.auxiliary;
                    steps++;
                }
                memoryScope.close();
                memoryScope = nextScope;
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                if (progress != null) {
                    progress.onStep(epoch, j + 1, stepsPerEpoch, ceSum / steps, auxSum / steps,
                            (double) steps * settings.batch * settings.block / seconds);
                }
                if (settings.maxSeconds > 0 && (System.nanoTime() - start) / 1e9 > settings.maxSeconds) {
                    outOfTime = true;
                    break;
                }
            }
            memoryScope.close();
            double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
            trainSeconds += epochSeconds;
            trainedTokens += (long) steps * settings.batch * settings.block;
            double valid = evaluate(corpus.getValid()).value();
            double elapsed = (System.nanoTime() - start) / 1e9;
            try (Writer out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
                out.write(String.format(Locale.ROOT, "%d,%d,%.5f,%.6f,%.3f,%.1f,%.1f%n", epoch, steps,
                        ceSum / steps, auxSum / steps, valid, steps * (double) settings.batch * settings.block / epochSeconds, elapsed));
            }
            if (progress != null) {
                progress.onEpoch(epoch, valid, valid < best);
            }
            if (valid < best) {
                best = valid;
                bestEpoch = epoch;
                model.save(runDirectory, "lm-best");
            }
        }
        try {
            model.load(runDirectory, "lm-best");
        } catch (ai.djl.MalformedModelException e) {
            throw new IOException("cannot reload the best checkpoint from " + runDirectory, e);
        }
        double test = evaluate(corpus.getTest()).value();
        double elapsed = (System.nanoTime() - start) / 1e9;
        Summary summary = new Summary(best, test, bestEpoch, epoch, step, trainedTokens / trainSeconds, elapsed);
        Files.writeString(runDirectory.resolve("best.json"), summary.toJson(), StandardCharsets.UTF_8);
        return summary;
    }

    /**
     * Perplexity on a stream with the memory carried across blocks (no dropout, no auxiliary terms).
     *
     * @param stream the ids
     * @return the perplexity accumulator
     */
    public Perplexity evaluate(int[] stream) {
        StreamBatcher data = new StreamBatcher(stream, settings.evalBatch, settings.block, true);
        NDManager root = model.getNDManager();
        return LmEvaluator.evaluate(
                data,
                root,
                m -> lm.initialMemory(m, settings.evalBatch),
                (tokens, memory) ->
                        lm.forward(evalStore, new NDList(tokens).addAll(memory), false));
    }

    /** Returns the optimizer steps taken. */
    public int getStep() {
        return step;
    }

    /** Returns the DJL model holding the block. */
    public Model getModel() {
        return model;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }

    /** What one training step produced. */
    public static final class StepResult {
        private final float crossEntropy;
        private final float auxiliary;
        private final NDList memory;

        StepResult(float crossEntropy, float auxiliary, NDList memory) {
            this.crossEntropy = crossEntropy;
            this.auxiliary = auxiliary;
            this.memory = memory;
        }

        /** Returns the mean token cross-entropy of the block (nats). */
        public float getCrossEntropy() {
            return crossEntropy;
        }

        /** Returns the weighted auxiliary loss (balance + group-sparse) of the block. */
        public float getAuxiliary() {
            return auxiliary;
        }

        /** Returns the memory for the next block. */
        public NDList getMemory() {
            return memory;
        }
    }

    /** Receives training progress. */
    public interface Progress {
        /**
         * Called after every step.
         *
         * @param epoch the epoch from 1
         * @param step the step within the epoch from 1
         * @param steps steps in the epoch
         * @param crossEntropy running mean cross-entropy of the epoch
         * @param auxiliary running mean weighted auxiliary loss
         * @param tokensPerSecond training tokens per second in this epoch
         */
        void onStep(int epoch, int step, int steps, double crossEntropy, double auxiliary, double tokensPerSecond);

        /**
         * Called after each epoch's validation.
         *
         * @param epoch the epoch
         * @param validPerplexity validation perplexity
         * @param best whether it is the best so far
         */
        void onEpoch(int epoch, double validPerplexity, boolean best);
    }

    /** The outcome of {@link #fit}. */
    public static final class Summary {
        private final double validPerplexity;
        private final double testPerplexity;
        private final int bestEpoch;
        private final int epochs;
        private final int steps;
        private final double tokensPerSecond;
        private final double seconds;

        Summary(double valid, double test, int bestEpoch, int epochs, int steps, double tokensPerSecond, double seconds) {
            this.validPerplexity = valid;
            this.testPerplexity = test;
            this.bestEpoch = bestEpoch;
            this.epochs = epochs;
            this.steps = steps;
            this.tokensPerSecond = tokensPerSecond;
            this.seconds = seconds;
        }

        /** Returns the best validation perplexity. */
        public double getValidPerplexity() {
            return validPerplexity;
        }

        /** Returns the test perplexity of the best-on-validation checkpoint. */
        public double getTestPerplexity() {
            return testPerplexity;
        }

        /** Returns the epoch of the best checkpoint. */
        public int getBestEpoch() {
            return bestEpoch;
        }

        /** Returns the training tokens per second. */
        public double getTokensPerSecond() {
            return tokensPerSecond;
        }

        /** Returns the wall time of the run in seconds. */
        public double getSeconds() {
            return seconds;
        }

        /** Returns the summary as a JSON object. */
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"valid_ppl\": %.3f, \"test_ppl\": %.3f, \"best_epoch\": %d, \"epochs\": %d, \"steps\": %d,"
                            + " \"train_tokens_per_s\": %.1f, \"wall_s\": %.1f}%n",
                    validPerplexity, testPerplexity, bestEpoch, epochs, steps, tokensPerSecond, seconds);
        }

        @Override
        public String toString() {
            return toJson().trim();
        }
    }

    /** Optimisation settings. */
    public static final class Settings {
        private int batch = 16;
        private int evalBatch = 10;
        private int block = 64;
        private int epochs = 1;
        private float learningRate = 1e-3f;
        private int warmup;
        private float balanceWeight;
        private float groupSparseWeight;
        private float clipNorm;
        private int maxStepsPerEpoch;
        private double maxSeconds;

        /** Creates default settings: B 16, eval B 10, M 64, 1 epoch, Adam 1e-3, no warm-up. */
        public Settings() {}

        /**
         * Sets the training batch B and block M.
         *
         * @param batch B
         * @param block M
         * @return this
         */
        public Settings setBatch(int batch, int block) {
            this.batch = batch;
            this.block = block;
            return this;
        }

        /**
         * Sets the evaluation rows.
         *
         * @param evalBatch rows of the evaluation streams
         * @return this
         */
        public Settings setEvalBatch(int evalBatch) {
            this.evalBatch = evalBatch;
            return this;
        }

        /**
         * Sets the number of epochs.
         *
         * @param epochs epochs
         * @return this
         */
        public Settings setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the Adam learning rate and its linear warm-up from 0.
         *
         * @param learningRate the rate after warm-up
         * @param warmup warm-up steps (0 for none)
         * @return this
         */
        public Settings setLearningRate(float learningRate, int warmup) {
            this.learningRate = learningRate;
            this.warmup = warmup;
            return this;
        }

        /**
         * Sets the loss weights on the summed balance and group-sparse terms.
         *
         * @param balanceWeight weight of the Switch balance losses
         * @param groupSparseWeight weight of L_gs as DESIGN.md defines it (with 1/f^2)
         * @return this
         */
        public Settings setAuxiliaryWeights(float balanceWeight, float groupSparseWeight) {
            this.balanceWeight = balanceWeight;
            this.groupSparseWeight = groupSparseWeight;
            return this;
        }

        /**
         * Clips the global gradient norm (0 = off, the reference setting).
         *
         * @param clipNorm the largest norm
         * @return this
         */
        public Settings setClipNorm(float clipNorm) {
            this.clipNorm = clipNorm;
            return this;
        }

        /**
         * Limits each epoch to its first steps (0 = all), for smoke runs and tests.
         *
         * @param maxStepsPerEpoch the limit
         * @return this
         */
        public Settings setMaxStepsPerEpoch(int maxStepsPerEpoch) {
            this.maxStepsPerEpoch = maxStepsPerEpoch;
            return this;
        }

        /**
         * Stops training after this wall time (0 = none); the epoch in progress is then validated.
         *
         * @param maxSeconds the budget
         * @return this
         */
        public Settings setMaxSeconds(double maxSeconds) {
            this.maxSeconds = maxSeconds;
            return this;
        }
    }
}
