package io.github.moge.vision.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.training.util.ProgressBar;
import ai.djl.util.JsonUtils;
import ai.djl.util.Pair;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.data.ImageClassificationData;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains an image classifier with MoE/MoGE layers and evaluates it every epoch.
 *
 * <p>The loop, per step: build the batch directly on the device ({@link
 * ImageClassificationData#getImages}), augment it ({@link AugmentationPipeline}), forward, compute
 * the loss with its components ({@link MoeLoss#getTerms()}: cross-entropy on the head, weighted
 * balance and group-sparse terms), backward, clip the gradients by global norm ({@link
 * GradientClipping}), take an AdamW step with linear warm-up then cosine decay, and advance the
 * sigma schedule ({@link SigmaScheduleListener}). Each step's arrays live in a sub-manager closed
 * after the step, so native memory does not grow.
 *
 * <p>Each epoch ends with an evaluation on the test split (Acc@1, Acc@5), one line in {@code
 * metrics.csv} and a checkpoint in the output directory: DJL's parameter file {@code
 * model-NNNN.params} (the previous one is removed once the new one is written) and {@code
 * checkpoint.json} (epoch, optimizer step, sigma step, settings). An output directory that already
 * holds a checkpoint is refused unless resuming; resuming reloads the parameters and the schedule
 * positions (AdamW's moment estimates restart from zero, as DJL does not save optimizer state).
 *
 * <p>The loop is written out here rather than with {@code EasyTrain} because gradients must be
 * clipped between backward and step and the batches are augmented on the device; it has one
 * method per concern (step, evaluation, checkpoint) so it can move onto a shared checkpoint
 * mechanism later.
 */
public final class VisionTrainer {

    private static final Logger logger = LoggerFactory.getLogger(VisionTrainer.class);
    /** The checkpoint metadata file name. */
    public static final String CHECKPOINT_JSON = "checkpoint.json";
    /** The metrics file name. */
    public static final String METRICS_CSV = "metrics.csv";
    /** The prefix of DJL parameter files. */
    public static final String MODEL_NAME = "model";

    private final Block block;
    private final MoeLoss loss;
    private final ImageClassificationData train;
    private final ImageClassificationData test;
    private final AugmentationPipeline augmentation;
    private final Shape inputShape;
    private final TrainingSettings settings;
    private final Device device;
    private final Map<String, Object> runInfo;
    private final Consumer<String> log;

    private VisionTrainer(Builder b) {
        this.block = b.block;
        this.loss = b.loss;
        this.train = b.train;
        this.test = b.test;
        this.augmentation = b.augmentation;
        this.inputShape = b.inputShape;
        this.settings = b.settings;
        this.device = b.device != null ? b.device : Engine.getInstance().defaultDevice();
        this.runInfo = b.runInfo;
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
        long n = settings.getTrainLimit() > 0 ? Math.min(trainSize, settings.getTrainLimit()) : trainSize;
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
        CosineTracker cosine = CosineTracker.builder()
                .setBaseValue(settings.getLearningRate())
                .optFinalValue(Math.min(settings.getMinLearningRate(), settings.getLearningRate()))
                .setMaxUpdates(Math.max(1, total - Math.max(0, warmup)))
                .build();
        if (warmup <= 0) {
            return cosine;
        }
        return WarmUpTracker.builder().setMainTracker(cosine).optWarmUpSteps(warmup).optWarmUpBeginValue(0f).build();
    }

    /**
     * Runs the training and returns the per-epoch metrics; the last entry holds the final test
     * accuracy.
     *
     * @return the metrics of every epoch run (resumed epochs excluded)
     * @throws IOException if the output directory cannot be written or a checkpoint cannot be read
     */
    public List<EpochMetrics> run() throws IOException {
        int steps = stepsPerEpoch(train.size(), settings);
        Path out = settings.getOutputDir();
        Map<String, Object> resumeFrom = prepareOutput(out);
        Engine.getInstance().setRandomSeed((int) settings.getSeed());
        int done = resumeFrom == null ? 0 : ((Number) resumeFrom.get("epoch")).intValue();
        int resumedStep = resumeFrom == null ? 0 : ((Number) resumeFrom.get("step")).intValue();
        Tracker schedule = learningRateSchedule(settings, steps);
        // DJL's optimizer counts its own updates from 0 again after a restart: shift the schedule.
        Tracker lr = resumedStep == 0 ? schedule : t -> schedule.getNewValue(t + resumedStep);
        Optimizer adamw = Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(settings.getWeightDecay()).build();
        SigmaScheduleListener sigma = new SigmaScheduleListener();
        DefaultTrainingConfig config = new DefaultTrainingConfig(loss).optOptimizer(adamw)
                .optDevices(new Device[] {device}).addTrainingListeners(sigma);
        List<EpochMetrics> history = new ArrayList<>();
        try (Model model = Model.newInstance(MODEL_NAME, device)) {
            model.setBlock(block);
            Shape shape = new Shape(settings.getBatchSize()).addAll(inputShape);
            if (resumeFrom != null) {
                // Parameters that exist are not re-initialised by the trainer.
                block.initialize(model.getNDManager(), DataType.FLOAT32, shape);
                try {
                    model.load(out, MODEL_NAME, Map.of("epoch", String.valueOf(done)));
                } catch (ai.djl.MalformedModelException e) {
                    throw new IOException(out + ": cannot load the checkpoint of epoch " + done + ": " + e.getMessage(), e);
                }
            }
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(shape);
                int startEpoch = done + 1;
                int step = resumedStep;
                if (resumeFrom != null) {
                    for (Pair<String, Parameter> p : block.getParameters()) {
                        if (p.getValue().requiresGradient()) {
                            p.getValue().getArray().setRequiresGradient(true);
                        }
                    }
                    sigma.setStep(((Number) resumeFrom.get("sigma_step")).intValue());
                    log.accept("Resuming " + out + " after epoch " + done + " (step " + step
                            + "; AdamW moments restart from zero)");
                }
                long[] pool = trainingPool();
                Random shuffle = new Random(settings.getSeed() * 31 + 7);
                for (int e = 1; e < startEpoch; e++) {
                    shuffled(pool, shuffle); // keep the epoch order a resumed run would have seen
                }
                for (int epoch = startEpoch; epoch <= settings.getEpochs(); epoch++) {
                    long t0 = System.nanoTime();
                    long[] order = shuffled(pool, shuffle);
                    double[] sums = new double[5]; // total, ce, balance, gs, grad norm
                    ProgressBar bar = settings.isProgressBar()
                            ? new ProgressBar("Epoch " + epoch + "/" + settings.getEpochs(), steps) : null;
                    for (int s = 0; s < steps; s++) {
                        long[] idx = java.util.Arrays.copyOfRange(order, s * settings.getBatchSize(),
                                (s + 1) * settings.getBatchSize());
                        float[] values = trainStep(trainer, sigma, idx);
                        for (int i = 0; i < sums.length; i++) {
                            sums[i] += values[i];
                        }
                        step++;
                        if (bar != null) {
                            bar.update(s, String.format(Locale.ROOT, "loss %.4f", sums[0] / (s + 1)));
                        }
                    }
                    if (bar != null) {
                        bar.end();
                    }
                    double trainSeconds = (System.nanoTime() - t0) / 1e9;
                    AccuracyCounter acc = evaluate(trainer);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    EpochMetrics m = new EpochMetrics(epoch, sums[0] / steps, sums[1] / steps, sums[2] / steps,
                            sums[3] / steps, sums[4] / steps, schedule.getNewValue(step), acc.top1(), acc.top5(),
                            (double) steps * settings.getBatchSize() / trainSeconds, seconds);
                    history.add(m);
                    log.accept(m.toString());
                    if (out != null) {
                        appendMetrics(out, m);
                        saveCheckpoint(model, out, epoch, step, sigma.getStep());
                    }
                }
            }
        }
        return history;
    }

    /** One optimizer step; returns total, ce, balance, group-sparse and the gradient norm. */
    private float[] trainStep(Trainer trainer, SigmaScheduleListener sigma, long[] idx) {
        try (NDManager step = trainer.getManager().newSubManager()) {
            NDArray x = train.getImages(step, idx);
            NDArray y = train.getLabels(step, idx);
            NDList batch = augmentation.train(x, y);
            NDList labels = new NDList(batch.get(1));
            float[] values = new float[5];
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList pred = trainer.forward(new NDList(batch.get(0)));
                List<Loss> terms = loss.getTerms();
                NDArray total = null;
                for (int i = 0; i < terms.size(); i++) {
                    NDArray term = terms.get(i).evaluate(labels, pred);
                    values[i + 1] = term.toType(DataType.FLOAT32, false).getFloat();
                    total = total == null ? term : total.add(term);
                }
                values[0] = total.toType(DataType.FLOAT32, false).getFloat();
                if (!Float.isFinite(values[0])) {
                    throw new IllegalStateException("training diverged: loss is " + values[0]);
                }
                gc.backward(total);
            }
            values[4] = GradientClipping.clipByGlobalNorm(trainer.getModel().getBlock().getParameters(),
                    settings.getClipGradNorm(), step);
            trainer.step();
            sigma.onTrainingBatch(trainer, null);
            return values;
        }
    }

    /**
     * Evaluates the model on the test split.
     *
     * @param trainer the trainer (its model, in inference mode)
     * @return the top-1/top-5 counts
     */
    private AccuracyCounter evaluate(Trainer trainer) {
        AccuracyCounter acc = new AccuracyCounter();
        long n = settings.getTestLimit() > 0 ? Math.min(settings.getTestLimit(), test.size()) : test.size();
        int bs = settings.getEvalBatchSize();
        for (long start = 0; start < n; start += bs) {
            int len = (int) Math.min(bs, n - start);
            long[] idx = new long[len];
            for (int i = 0; i < len; i++) {
                idx[i] = start + i;
            }
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray x = augmentation.eval(test.getImages(scope, idx));
                NDList pred = trainer.evaluate(new NDList(x));
                acc.add(pred.head(), test.getLabels(scope, idx));
            }
        }
        return acc;
    }

    /** The training examples used: all, or a seeded subset of the train limit. */
    private long[] trainingPool() {
        long size = train.size();
        long[] all = new long[(int) size];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        if (settings.getTrainLimit() <= 0 || settings.getTrainLimit() >= size) {
            return all;
        }
        long[] shuffled = shuffled(all, new Random(settings.getSeed()));
        return java.util.Arrays.copyOf(shuffled, (int) settings.getTrainLimit());
    }

    private static long[] shuffled(long[] values, Random r) {
        long[] out = values.clone();
        for (int i = out.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    /** Creates the output directory, or checks a resumable run; returns its checkpoint or null. */
    private Map<String, Object> prepareOutput(Path out) throws IOException {
        if (out == null) {
            return null;
        }
        Path json = out.resolve(CHECKPOINT_JSON);
        if (Files.exists(json)) {
            if (!settings.isResume()) {
                throw new IOException("output directory " + out + " already holds a run (" + json
                        + "); resume it or choose another output directory");
            }
            Map<String, Object> checkpoint = readJson(json);
            for (String key : new String[] {"epoch", "step", "sigma_step"}) {
                if (!(checkpoint.get(key) instanceof Number)) {
                    throw new IOException(json + ": missing or malformed '" + key + "'");
                }
            }
            return checkpoint;
        }
        if (Files.exists(out.resolve(METRICS_CSV))) {
            throw new IOException("output directory " + out + " holds " + METRICS_CSV
                    + " but no checkpoint; choose another output directory");
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve(METRICS_CSV), EpochMetrics.CSV_HEADER + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE_NEW);
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readJson(Path json) throws IOException {
        try {
            Map<String, Object> m = JsonUtils.GSON.fromJson(Files.readString(json, StandardCharsets.UTF_8), Map.class);
            if (m == null) {
                throw new IOException(json + ": empty checkpoint file");
            }
            return m;
        } catch (RuntimeException e) {
            throw new IOException(json + ": malformed checkpoint file (" + e.getMessage() + ")", e);
        }
    }

    private static void appendMetrics(Path out, EpochMetrics m) throws IOException {
        Files.writeString(out.resolve(METRICS_CSV), m.toCsv() + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    private static String paramFile(int epoch) {
        return String.format(Locale.ROOT, "%s-%04d.params", MODEL_NAME, epoch);
    }

    /** Saves the parameters (DJL format) and the checkpoint metadata, replacing the previous ones. */
    private void saveCheckpoint(Model model, Path out, int epoch, int step, int sigmaStep) throws IOException {
        model.setProperty("Epoch", String.valueOf(epoch));
        model.save(out, MODEL_NAME);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("epoch", epoch);
        meta.put("step", step);
        meta.put("sigma_step", sigmaStep);
        meta.put("parameters", paramFile(epoch));
        meta.put("epochs", settings.getEpochs());
        meta.put("batch_size", settings.getBatchSize());
        meta.put("seed", settings.getSeed());
        meta.putAll(runInfo);
        Path tmp = out.resolve(CHECKPOINT_JSON + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            JsonUtils.GSON_PRETTY.toJson(meta, w);
        }
        Files.move(tmp, out.resolve(CHECKPOINT_JSON), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(MODEL_NAME + "-") && name.endsWith(".params") && !name.equals(paramFile(epoch))) {
                    Files.delete(p);
                }
            }
        }
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
        Map<String, Object> runInfo = new LinkedHashMap<>();
        Consumer<String> log = logger::info;

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
         * @param info extra entries for {@code checkpoint.json} (preset, dataset, options)
         * @return this builder
         */
        public Builder optRunInfo(Map<String, Object> info) {
            this.runInfo = new LinkedHashMap<>(info);
            return this;
        }

        /**
         * @param log where epoch summaries go (default: the logger)
         * @return this builder
         */
        public Builder optLog(Consumer<String> log) {
            this.log = log;
            return this;
        }

        /**
         * @return the trainer
         */
        public VisionTrainer build() {
            if (block == null || loss == null || train == null || test == null || augmentation == null
                    || inputShape == null || settings == null) {
                throw new IllegalArgumentException(
                        "block, loss, data, augmentation, input shape and settings must all be set");
            }
            return new VisionTrainer(this);
        }
    }
}
