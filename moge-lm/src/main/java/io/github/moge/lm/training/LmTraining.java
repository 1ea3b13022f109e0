package io.github.moge.lm.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.training.BestParameters;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.TimeBudget;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.core.training.TrainingSummary;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.core.training.optim.StatefulAdam;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.eval.Perplexity;
import io.github.moge.lm.eval.TokenCrossEntropyLoss;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.MoeTransformerLm;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Trains a {@link MoeTransformerLm} on a {@link Corpus} through the shared {@link TrainingRun}: the
 * training stream in order ({@link StreamBatches}), the attention memory carried from batch to
 * batch and checkpointed ({@link LmTrainingStep}), {@link MoeLoss} (token cross-entropy + weighted
 * balance and group-sparse terms), {@link StatefulAdam} with a linear warm-up from 0, the sigma
 * schedule on a {@link SigmaScheduleListener}, validation perplexity after every epoch ({@link
 * PerplexityEvaluation}), the best-on-validation parameters kept ({@link BestParameters}) and
 * evaluated once on test at the end, and an optional wall-time budget ({@link TimeBudget}) that
 * stops the run with a checkpoint.
 *
 * <pre>{@code
 * try (LmTraining training = LmTraining.builder()
 *         .setModel(lm).setCorpus(corpus).setBatch(16, 32).setEpochs(3).setSeed(1)
 *         .setLearningRate(2e-3f, 50)
 *         .optAuxiliaryWeights(0f, LmPreset.groupSparseWeight(LmPreset.GROUP_SPARSE_LAMBDA))
 *         .optConfiguration(settings).build()) {
 *     LmTraining.Summary summary = resume ? training.resume(dir) : training.run(dir);
 * }
 * }</pre>
 *
 * <p>The run directory holds what {@link TrainingRun} writes ({@code config.json}, {@code
 * metrics.csv} per step, {@code epochs.csv} per epoch with {@code validation_perplexity}, {@code
 * checkpoints/}), the best parameters {@code lm-best-0000.params}, {@code summary.json} and each
 * test token's NLL ({@link #TEST_TOKEN_NLL_FILE}).
 *
 * <p>Its length is the LM run (data streams, loop wiring, best-on-validation selection, test
 * evaluation) plus its {@link Summary} and {@link Builder}.
 */
public final class LmTraining implements AutoCloseable {

    /** The name of the summary file in the run directory. */
    public static final String SUMMARY_FILE = "summary.json";

    /**
     * The NLL in nats of every test token under the best-on-validation parameters, one per line in
     * scoring order (the same order for every run with the same evaluation rows and block), for a
     * bootstrap over test tokens when runs are compared; its mean is ln(test perplexity).
     */
    public static final String TEST_TOKEN_NLL_FILE = "test-token-nll.csv";

    private final MoeTransformerLm lm;
    private final Corpus corpus;
    private final int batch;
    private final int block;
    private final int evalBatch;
    private final int epochs;
    private final float learningRate;
    private final int warmup;
    private final float balanceWeight;
    private final float groupSparseWeight;
    private final int maxStepsPerEpoch;
    private final int batchesPerEpoch;
    private final long seed;
    private final RunConfiguration configuration;
    private final double maxSeconds;
    private final LongSupplier clock;
    private final RunOptions runOptions;
    private final PrintStream log;
    private final int progressEvery;
    private final Model model;
    private boolean used;

    private LmTraining(Builder builder) {
        this.lm = builder.lm;
        this.corpus = builder.corpus;
        this.batch = builder.batch;
        this.block = builder.block;
        this.evalBatch = builder.evalBatch;
        this.epochs = builder.epochs;
        this.learningRate = builder.learningRate;
        this.warmup = builder.warmup;
        this.balanceWeight = builder.balanceWeight;
        this.groupSparseWeight = builder.groupSparseWeight;
        this.maxStepsPerEpoch = builder.maxStepsPerEpoch;
        this.batchesPerEpoch = builder.batchesPerEpoch;
        this.seed = builder.seed;
        this.configuration = builder.configuration;
        this.maxSeconds = builder.maxSeconds;
        this.clock = builder.clock;
        this.runOptions = builder.runOptions;
        this.log = builder.log;
        this.progressEvery = builder.progressEvery;
        this.model =
                builder.device == null
                        ? Model.newInstance("moge-lm")
                        : Model.newInstance("moge-lm", builder.device);
        model.setBlock(lm);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the optimizer steps of one epoch, to size the sigma schedule before building the
     * model.
     *
     * @param trainStream the training token ids
     * @param batch B
     * @param block M
     * @param maxStepsPerEpoch the cap, 0 for none
     * @param batchesPerEpoch blocks per epoch continuing the stream ({@link
     *     Builder#optBatchesPerEpoch}), 0 for a pass
     * @return the steps per epoch
     */
    public static int stepsPerEpoch(
            int[] trainStream, int batch, int block, int maxStepsPerEpoch, int batchesPerEpoch) {
        return batches(trainStream, batch, block, maxStepsPerEpoch, batchesPerEpoch)
                .batchesPerEpoch();
    }

    private static StreamBatches batches(
            int[] trainStream, int batch, int block, int maxStepsPerEpoch, int batchesPerEpoch) {
        if (maxStepsPerEpoch > 0 && batchesPerEpoch > 0) {
            throw new IllegalArgumentException(
                    "a cap on the steps per epoch ("
                            + maxStepsPerEpoch
                            + ") and"
                            + " epochs continuing the stream ("
                            + batchesPerEpoch
                            + " batches) exclude each other");
        }
        return batchesPerEpoch > 0
                ? StreamBatches.continuing(trainStream, batch, block, batchesPerEpoch)
                : new StreamBatches(trainStream, batch, block, maxStepsPerEpoch);
    }

    /**
     * Starts a new run in {@code runDirectory} (refused if it already holds one).
     *
     * @param runDirectory the run directory, created
     * @return the summary
     * @throws IOException if the directory is taken or cannot be written
     */
    public Summary run(Path runDirectory) throws IOException {
        return train(runDirectory, false);
    }

    /**
     * Continues the run in {@code runDirectory} from its newest intact checkpoint; a finished run
     * is only loaded and evaluated.
     *
     * @param runDirectory the run directory
     * @return the summary
     * @throws IOException if the directory is not a run or cannot be read
     */
    public Summary resume(Path runDirectory) throws IOException {
        return train(runDirectory, true);
    }

    private Summary train(Path runDirectory, boolean resume) throws IOException {
        if (used) {
            throw new IllegalStateException("an LmTraining runs once; build a new one");
        }
        used = true;
        long start = System.nanoTime();
        StreamBatches batches =
                batches(corpus.getTrain(), batch, block, maxStepsPerEpoch, batchesPerEpoch);
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(new TokenCrossEntropyLoss())
                        .optBalanceWeight(balanceWeight)
                        .optGroupSparseWeight(groupSparseWeight)
                        .build();
        Tracker lr =
                warmup > 0
                        ? WarmUpTracker.builder()
                                .setMainTracker(Tracker.fixed(learningRate))
                                .optWarmUpSteps(warmup)
                                .optWarmUpBeginValue(0f)
                                .build()
                        : Tracker.fixed(learningRate);
        PerplexityEvaluation validation =
                new PerplexityEvaluation(lm, corpus.getValid(), evalBatch, block);
        double[] trained = new double[2]; // tokens and seconds of the steps of this invocation
        TrainingSummary summary;
        try (LmTrainingStep step = new LmTrainingStep(lm, batches, batch, model.getNDManager())) {
            TrainingRun.Builder builder =
                    TrainingRun.builder()
                            .setModel(model)
                            .setLoss(loss)
                            .setOptimizer(StatefulAdam.builder().optLearningRateTracker(lr).build())
                            .setTrainingData(batches)
                            .optTrainingStep(step)
                            .addListener(new SigmaScheduleListener())
                            .addEpochEvaluation(new BestParameters(validation, model, runDirectory))
                            .addStepListener(
                                    r -> {
                                        trained[0] += r.getSamples();
                                        trained[1] += r.getMillis() / 1e3;
                                    })
                            .setInputShapes(lm.inputShapes(batch, block))
                            .setEpochs(epochs)
                            .setSeed(seed)
                            .optConfiguration(configuration)
                            .optLog(log)
                            .optProgressEvery(progressEvery);
            TimeBudget budget = maxSeconds > 0 ? new TimeBudget(maxSeconds, clock) : null;
            if (budget != null) {
                builder.addStepListener(budget);
            }
            runOptions.apply(builder, runDirectory);
            TrainingRun run = builder.build();
            if (budget != null) {
                budget.setRun(run);
            }
            summary = resume ? run.resume(runDirectory) : run.run(runDirectory);
        }
        List<EpochRecord> finished = EpochRecord.readAll(runDirectory);
        BestParameters.Best best = BestParameters.read(runDirectory, PerplexityEvaluation.NAME);
        double test = Double.NaN;
        if (best != null) {
            // The model now holds the best parameters, not the last ones (those are in the
            // checkpoint).
            BestParameters.load(model, runDirectory);
            Perplexity scored =
                    new PerplexityEvaluation(lm, corpus.getTest(), evalBatch, block)
                            .measure(model.getNDManager());
            test = scored.value();
            writeTokenNll(runDirectory.resolve(TEST_TOKEN_NLL_FILE), scored.tokenNll());
        }
        Summary out =
                new Summary(
                        summary.isCompleted(),
                        summary.getStep(),
                        (long) batches.batchesPerEpoch() * epochs,
                        finished.size(),
                        best,
                        test,
                        trained[1] > 0 ? trained[0] / trained[1] : Double.NaN,
                        (System.nanoTime() - start) / 1e9);
        Files.writeString(runDirectory.resolve(SUMMARY_FILE), out.toJson(), StandardCharsets.UTF_8);
        return out;
    }

    /** Writes one token NLL per line under the header {@code nll}. */
    private static void writeTokenNll(Path file, float[] nll) throws IOException {
        StringBuilder sb = new StringBuilder(nll.length * 9 + 4).append("nll\n");
        for (float v : nll) {
            sb.append(String.format(Locale.ROOT, "%.6g", v)).append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /** {@return the DJL model that holds the language model} */
    public Model getModel() {
        return model;
    }

    /** Closes the model. */
    @Override
    public void close() {
        model.close();
    }

    /**
     * Options applied to the {@link TrainingRun.Builder} before it is built (checkpoints,
     * clipping...).
     */
    @FunctionalInterface
    public interface RunOptions {

        /**
         * Applies the options.
         *
         * @param builder the run's builder
         * @param runDirectory the run directory
         * @throws IOException if a saved run configuration cannot be read
         */
        void apply(TrainingRun.Builder builder, Path runDirectory) throws IOException;
    }

    /** What a run (or the part of it this invocation trained) achieved. */
    public static final class Summary {
        private final boolean completed;
        private final long steps;
        private final long totalSteps;
        private final int epochsFinished;
        private final int bestEpoch;
        private final double validPerplexity;
        private final double testPerplexity;
        private final double tokensPerSecond;
        private final double seconds;

        Summary(
                boolean completed,
                long steps,
                long totalSteps,
                int epochsFinished,
                BestParameters.Best best,
                double testPerplexity,
                double tokensPerSecond,
                double seconds) {
            this.completed = completed;
            this.steps = steps;
            this.totalSteps = totalSteps;
            this.epochsFinished = epochsFinished;
            this.bestEpoch = best == null ? -1 : best.getEpoch();
            this.validPerplexity = best == null ? Double.NaN : best.getValue();
            this.testPerplexity = testPerplexity;
            this.tokensPerSecond = tokensPerSecond;
            this.seconds = seconds;
        }

        /**
         * {@return whether every epoch has been trained (false after a stop on the time budget)}
         */
        public boolean isCompleted() {
            return completed;
        }

        /** {@return the optimizer steps of the run so far} */
        public long getSteps() {
            return steps;
        }

        /** {@return the steps of the whole run} */
        public long getTotalSteps() {
            return totalSteps;
        }

        /** {@return the number of epochs finished (and validated) so far} */
        public int getEpochsFinished() {
            return epochsFinished;
        }

        /** {@return the best epoch so far, 0-based, or -1 if no epoch has finished} */
        public int getBestEpoch() {
            return bestEpoch;
        }

        /** {@return the best validation perplexity so far (NaN if no epoch has finished)} */
        public double getValidPerplexity() {
            return validPerplexity;
        }

        /**
         * {@return the test perplexity of the best-on-validation parameters so far (NaN if no epoch
         * has finished)} Before the run completes this is an interim figure, not the run's result.
         */
        public double getTestPerplexity() {
            return testPerplexity;
        }

        /**
         * {@return the training tokens per second of this invocation (NaN if it trained no step)}
         */
        public double getTokensPerSecond() {
            return tokensPerSecond;
        }

        /** {@return the wall time of this invocation in seconds} */
        public double getSeconds() {
            return seconds;
        }

        /** {@return the summary as a JSON object (NaN as null)} */
        public String toJson() {
            return String.format(
                    Locale.ROOT,
                    "{\"completed\": %b, \"steps\": %d, \"total_steps\": %d, \"epochs_finished\":"
                            + " %d, \"best_epoch\": %s, \"valid_ppl\": %s, \"test_ppl\": %s,"
                            + " \"train_tokens_per_s\": %s, \"wall_s\": %.1f}%n",
                    completed,
                    steps,
                    totalSteps,
                    epochsFinished,
                    bestEpoch < 0 ? "null" : bestEpoch + 1,
                    number(validPerplexity),
                    number(testPerplexity),
                    number(tokensPerSecond),
                    seconds);
        }

        private static String number(double value) {
            return Double.isFinite(value) ? String.format(Locale.ROOT, "%.3f", value) : "null";
        }

        @Override
        public String toString() {
            return toJson().trim();
        }
    }

    /** Builds an {@link LmTraining}. */
    public static final class Builder {

        private MoeTransformerLm lm;
        private Corpus corpus;
        private int batch;
        private int block;
        private int evalBatch = 10;
        private int epochs = 1;
        private float learningRate = 1e-3f;
        private int warmup;
        private float balanceWeight;
        private float groupSparseWeight;
        private int maxStepsPerEpoch;
        private int batchesPerEpoch;
        private long seed;
        private boolean seedSet;
        private RunConfiguration configuration = RunConfiguration.empty();
        private double maxSeconds;
        private LongSupplier clock = System::nanoTime;
        private RunOptions runOptions = (b, dir) -> {};
        private Device device;
        private PrintStream log = System.out;
        private int progressEvery = 50;

        Builder() {}

        /**
         * Sets the model (built with the sigma schedule sized to the run's steps, see {@link
         * #stepsPerEpoch}).
         *
         * @param lm the model, not yet initialized
         * @return this builder
         */
        public Builder setModel(MoeTransformerLm lm) {
            this.lm = lm;
            return this;
        }

        /**
         * Sets the corpus: training, validation and test streams.
         *
         * @param corpus the corpus
         * @return this builder
         */
        public Builder setCorpus(Corpus corpus) {
            this.corpus = corpus;
            return this;
        }

        /**
         * Sets the training rows B and the block length M.
         *
         * @param batch B
         * @param block M
         * @return this builder
         */
        public Builder setBatch(int batch, int block) {
            this.batch = batch;
            this.block = block;
            return this;
        }

        /**
         * Sets the rows of the validation and test streams (default 10).
         *
         * @param evalBatch the rows
         * @return this builder
         */
        public Builder optEvalBatch(int evalBatch) {
            this.evalBatch = evalBatch;
            return this;
        }

        /**
         * Sets the number of epochs (default 1).
         *
         * @param epochs at least 1
         * @return this builder
         */
        public Builder setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the Adam learning rate and its linear warm-up from 0 (default 1e-3, no warm-up).
         *
         * @param learningRate the rate after warm-up
         * @param warmup warm-up steps, 0 for none
         * @return this builder
         */
        public Builder setLearningRate(float learningRate, int warmup) {
            this.learningRate = learningRate;
            this.warmup = warmup;
            return this;
        }

        /**
         * Sets the loss weights of the summed balance and group-sparse terms (default 0 and 0).
         *
         * @param balanceWeight weight of the Switch balance losses
         * @param groupSparseWeight weight of the sum over layers of L_gs as docs/design.md defines
         *     it (with 1/f^2): 0.01 * lambda, see {@link LmPreset#groupSparseWeight}
         * @return this builder
         */
        public Builder optAuxiliaryWeights(float balanceWeight, float groupSparseWeight) {
            this.balanceWeight = balanceWeight;
            this.groupSparseWeight = groupSparseWeight;
            return this;
        }

        /**
         * Limits every epoch to its first blocks (default 0: all), for short runs and tests.
         *
         * @param maxStepsPerEpoch the cap
         * @return this builder
         */
        public Builder optMaxStepsPerEpoch(int maxStepsPerEpoch) {
            this.maxStepsPerEpoch = maxStepsPerEpoch;
            return this;
        }

        /**
         * Makes every epoch this many blocks that continue the stream where the previous epoch
         * stopped, wrapping to its start (where the memory is reset) at the end, as the reference
         * trainer's {@code --nbatches} (1000 in its scripts). Default 0: every epoch is one pass
         * over the training stream.
         *
         * @param batchesPerEpoch blocks per epoch, 0 for a pass; excludes {@link
         *     #optMaxStepsPerEpoch}
         * @return this builder
         */
        public Builder optBatchesPerEpoch(int batchesPerEpoch) {
            this.batchesPerEpoch = batchesPerEpoch;
            return this;
        }

        /**
         * Sets the run seed: initialization, dropout and routing noise derive from it.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder setSeed(long seed) {
            this.seed = seed;
            this.seedSet = true;
            return this;
        }

        /**
         * Sets the settings that define the run, saved as {@code config.json} and compared on
         * resume.
         *
         * @param configuration the configuration
         * @return this builder
         */
        public Builder optConfiguration(RunConfiguration configuration) {
            this.configuration = configuration;
            return this;
        }

        /**
         * Stops this invocation with a checkpoint once the wall time is spent (default 0: no
         * limit).
         *
         * @param seconds the budget
         * @return this builder
         */
        public Builder optMaxSeconds(double seconds) {
            this.maxSeconds = seconds;
            return this;
        }

        /**
         * Sets the clock of the time budget (default {@code System::nanoTime}), for tests.
         *
         * @param clock nanoseconds
         * @return this builder
         */
        public Builder optClock(LongSupplier clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Sets the device the model is created on (default: the engine's default device); it must
         * be the run's training device ({@link TrainingRun.Builder#optDevices}).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Sets options applied to the {@link TrainingRun.Builder} (checkpoint cadence, clipping,
         * the divergence guard, fallback, extra listeners).
         *
         * @param runOptions the options
         * @return this builder
         */
        public Builder optRunOptions(RunOptions runOptions) {
            this.runOptions = runOptions;
            return this;
        }

        /**
         * Sets where progress goes (default System.out).
         *
         * @param log the stream
         * @return this builder
         */
        public Builder optLog(PrintStream log) {
            this.log = log;
            return this;
        }

        /**
         * Prints a progress line every {@code steps} steps (default 50; 0: epoch summaries only).
         *
         * @param steps &gt;= 0
         * @return this builder
         */
        public Builder optProgressEvery(int steps) {
            this.progressEvery = steps;
            return this;
        }

        /**
         * Builds the training (and the DJL model holding the language model).
         *
         * @return the training
         */
        public LmTraining build() {
            if (lm == null || corpus == null || !seedSet) {
                throw new IllegalArgumentException("LmTraining needs a model, a corpus and a seed");
            }
            if (batch < 1
                    || block < 1
                    || evalBatch < 1
                    || epochs < 1
                    || warmup < 0
                    || maxStepsPerEpoch < 0
                    || batchesPerEpoch < 0
                    || !(maxSeconds >= 0)) {
                throw new IllegalArgumentException(
                        "batch, block, eval batch and epochs must be >= 1; warm-up, max steps per"
                                + " epoch, batches per epoch and max seconds >= 0");
            }
            if (maxStepsPerEpoch > 0 && batchesPerEpoch > 0) {
                throw new IllegalArgumentException(
                        "optMaxStepsPerEpoch and optBatchesPerEpoch exclude each other: the first"
                            + " restarts every epoch at the stream's start, the second continues"
                            + " it");
            }
            return new LmTraining(this);
        }
    }
}
