package io.github.moge.vision.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.core.training.TrainingSummary;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.core.training.optim.StatefulAdamW;
import io.github.moge.vision.data.ImageClassificationData;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains an image classifier with MoE/MoGE layers through the shared, checkpointed {@link
 * TrainingRun} and evaluates it every epoch.
 *
 * <p>What it assembles: {@link ImageBatches} (the epoch order a function of (seed, epoch), a seeded
 * training subset, whole batches built on the device), an {@link AugmentedTrainingStep}
 * (augmentation on the device, seeded per step, then forward and {@link MoeLoss}: cross-entropy on
 * the head plus the weighted balance and group-sparse terms), {@link StatefulAdamW} with linear
 * warm-up then cosine decay ({@link #learningRateSchedule}), a {@link SigmaScheduleListener},
 * global-norm clipping and test Acc@1 / Acc@5 after every epoch ({@link TestAccuracyEvaluation}).
 * The run directory then holds {@code config.json}, {@code metrics.csv} (every step), {@code
 * epochs.csv} (every epoch, with {@code validation_acc1}/{@code validation_acc5}) and {@code
 * checkpoints/}; {@link #resume(Path)} continues an interrupted run exactly (AdamW moments,
 * schedules, data order and augmentation included).
 */
public final class VisionTrainer {

    /** The DJL model name (checkpoints hold {@code model-0000.params}). */
    public static final String MODEL_NAME = "model";

    private final Block block;
    private final MoeLoss loss;
    private final ImageClassificationData train;
    private final ImageClassificationData test;
    private final AugmentationPipeline augmentation;
    private final Shape inputShape;
    private final TrainingSettings settings;
    private final Device device;
    private final RunConfiguration configuration;
    private final Consumer<TrainingRun.Builder> runOptions;
    private final PrintStream log;
    private TrainingSummary summary;

    private VisionTrainer(Builder b) {
        this.block = b.block;
        this.loss = b.loss;
        this.train = b.train;
        this.test = b.test;
        this.augmentation = b.augmentation;
        this.inputShape = b.inputShape;
        this.settings = b.settings;
        this.device = b.device != null ? b.device : Engine.getInstance().defaultDevice();
        this.configuration = b.configuration;
        this.runOptions = b.runOptions;
        this.log = b.log;
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
     * Returns the number of optimizer steps per epoch for a training set size and settings.
     *
     * @param trainSize the number of training examples available
     * @param settings the settings (train limit, batch size)
     * @return the steps per epoch (the last, partial batch is dropped)
     */
    public static int stepsPerEpoch(long trainSize, TrainingSettings settings) {
        long n =
                settings.getTrainLimit() > 0
                        ? Math.min(trainSize, settings.getTrainLimit())
                        : trainSize;
        return (int) Math.max(1, n / settings.getBatchSize());
    }

    /**
     * Builds the learning-rate schedule: linear warm-up from 0 then cosine decay to the minimum.
     *
     * @param settings the settings
     * @param stepsPerEpoch optimizer steps per epoch
     * @return the tracker
     */
    public static Tracker learningRateSchedule(TrainingSettings settings, int stepsPerEpoch) {
        int total = settings.getEpochs() * stepsPerEpoch;
        int warmup = Math.min(total - 1, Math.round(settings.getWarmupEpochs() * stepsPerEpoch));
        CosineTracker cosine =
                CosineTracker.builder()
                        .setBaseValue(settings.getLearningRate())
                        .optFinalValue(
                                Math.min(settings.getMinLearningRate(), settings.getLearningRate()))
                        .setMaxUpdates(Math.max(1, total - Math.max(0, warmup)))
                        .build();
        if (warmup <= 0) {
            return cosine;
        }
        return WarmUpTracker.builder()
                .setMainTracker(cosine)
                .optWarmUpSteps(warmup)
                .optWarmUpBeginValue(0f)
                .build();
    }

    /**
     * Starts a new run in {@code runDirectory} (refused if it already holds one) and trains all
     * epochs, unless stopped.
     *
     * @param runDirectory the run directory, created
     * @return the metrics of every finished epoch
     * @throws IOException if the directory is taken or cannot be written, or data cannot be read
     */
    public List<EpochMetrics> run(Path runDirectory) throws IOException {
        return train(runDirectory, false);
    }

    /**
     * Continues the run in {@code runDirectory} from its newest intact checkpoint; the trainer must
     * be built with the run's saved settings.
     *
     * @param runDirectory the run directory
     * @return the metrics of every finished epoch, also those finished before the interruption
     * @throws IOException if the directory is not a run, its checkpoint is corrupt, or data cannot
     *     be read
     */
    public List<EpochMetrics> resume(Path runDirectory) throws IOException {
        return train(runDirectory, true);
    }

    /**
     * Returns the summary of the last {@link #run} or {@link #resume} (whether it completed, its
     * last checkpoint), or null before.
     *
     * @return the summary
     */
    public TrainingSummary getSummary() {
        return summary;
    }

    /**
     * Returns the evaluation batches a run scores after every epoch: the first {@code limit} test
     * images in file order, padded and normalised by the pipeline's deterministic part ({@link
     * AugmentationPipeline#eval}). A trained model scored on them reproduces the run's recorded
     * Acc@1 / Acc@5.
     *
     * @param test the evaluation split
     * @param batchSize images per batch (the run's evaluation batch size)
     * @param limit the first this many images; 0 = all
     * @param augmentation the run's pipeline (only its evaluation part is used)
     * @return the batches
     */
    public static ImageBatches testBatches(
            ImageClassificationData test,
            int batchSize,
            long limit,
            AugmentationPipeline augmentation) {
        return ImageBatches.builder()
                .setData(test)
                .setBatchSize(batchSize)
                .optShuffle(false)
                .optLimit(limit, 0)
                .optTransform(augmentation::eval)
                .build();
    }

    private List<EpochMetrics> train(Path runDirectory, boolean resume) throws IOException {
        int batchSize = settings.getBatchSize();
        ImageBatches trainBatches =
                ImageBatches.builder()
                        .setData(train)
                        .setBatchSize(batchSize)
                        .optDropLast(true)
                        .optLimit(settings.getTrainLimit(), settings.getSeed())
                        .build();
        ImageBatches testBatches =
                testBatches(
                        test, settings.getEvalBatchSize(), settings.getTestLimit(), augmentation);
        int steps = trainBatches.batchesPerEpoch();
        try (Model model = Model.newInstance(MODEL_NAME, device)) {
            model.setBlock(block);
            TrainingRun.Builder builder =
                    TrainingRun.builder()
                            .setModel(model)
                            .setLoss(loss)
                            .setOptimizer(
                                    StatefulAdamW.builder()
                                            .optLearningRateTracker(
                                                    learningRateSchedule(settings, steps))
                                            .optWeightDecays(settings.getWeightDecay())
                                            .build())
                            .setTrainingData(trainBatches)
                            .optTrainingStep(new AugmentedTrainingStep(augmentation))
                            .addListener(new SigmaScheduleListener())
                            .addEpochEvaluation(new TestAccuracyEvaluation(testBatches))
                            .setInputShapes(new Shape(batchSize).addAll(inputShape))
                            .setEpochs(settings.getEpochs())
                            .setSeed(settings.getSeed())
                            .optDevice(device)
                            .optConfiguration(configuration)
                            .optClipGradNorm(settings.getClipGradNorm())
                            .optLog(log)
                            .optProgressEvery(settings.isProgress() ? Math.max(1, steps / 10) : 0);
            runOptions.accept(builder);
            TrainingRun run = builder.build();
            summary = resume ? run.resume(runDirectory) : run.run(runDirectory);
        }
        String baseLoss = loss.getBaseLoss().getName();
        List<EpochMetrics> history = new ArrayList<>();
        for (EpochRecord record : EpochRecord.readAll(runDirectory)) {
            history.add(EpochMetrics.of(record, baseLoss));
        }
        return history;
    }

    /** Builds a {@link VisionTrainer}. */
    public static final class Builder {

        Block block;
        MoeLoss loss;
        ImageClassificationData train;
        ImageClassificationData test;
        AugmentationPipeline augmentation;
        Shape inputShape;
        TrainingSettings settings;
        Device device;
        RunConfiguration configuration = RunConfiguration.empty();
        Consumer<TrainingRun.Builder> runOptions = builder -> {};
        PrintStream log = System.out;

        Builder() {}

        /**
         * @param block the model; its output head is the logits {@code [B, K]}
         * @return this builder
         */
        public Builder setBlock(Block block) {
            this.block = block;
            return this;
        }

        /**
         * @param loss the training loss; its base loss must accept the pipeline's labels (use
         *     {@link SoftTargetCrossEntropyLoss} with mixup/CutMix)
         * @return this builder
         */
        public Builder setLoss(MoeLoss loss) {
            this.loss = loss;
            return this;
        }

        /**
         * @param train the training split
         * @param test the evaluation split
         * @return this builder
         */
        public Builder setData(ImageClassificationData train, ImageClassificationData test) {
            this.train = train;
            this.test = test;
            return this;
        }

        /**
         * @param augmentation the batch preprocessing
         * @return this builder
         */
        public Builder setAugmentation(AugmentationPipeline augmentation) {
            this.augmentation = augmentation;
            return this;
        }

        /**
         * @param imageShape the model's input image shape {@code [C, H, W]} (after padding)
         * @return this builder
         */
        public Builder setInputShape(Shape imageShape) {
            this.inputShape = imageShape;
            return this;
        }

        /**
         * @param settings the optimisation settings
         * @return this builder
         */
        public Builder setSettings(TrainingSettings settings) {
            this.settings = settings;
            return this;
        }

        /**
         * @param device the device (default: the engine's default, a GPU when there is one)
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * @param configuration the settings that define the run, saved as {@code config.json} and
         *     compared on resume (a command saves everything it needs to rebuild the trainer)
         * @return this builder
         */
        public Builder optConfiguration(RunConfiguration configuration) {
            this.configuration = configuration;
            return this;
        }

        /**
         * @param runOptions applied to the {@link TrainingRun.Builder} last: checkpoint cadence and
         *     retention, clipping, the divergence guard, fallback, listeners
         * @return this builder
         */
        public Builder optRunOptions(Consumer<TrainingRun.Builder> runOptions) {
            this.runOptions = runOptions;
            return this;
        }

        /**
         * @param log where progress and epoch summaries go (default: System.out)
         * @return this builder
         */
        public Builder optLog(PrintStream log) {
            this.log = log;
            return this;
        }

        /**
         * @return the trainer
         */
        public VisionTrainer build() {
            if (block == null
                    || loss == null
                    || train == null
                    || test == null
                    || augmentation == null
                    || inputShape == null
                    || settings == null) {
                throw new IllegalArgumentException(
                        "block, loss, data, augmentation, input shape and settings must all be"
                                + " set");
            }
            return new VisionTrainer(this);
        }
    }
}
