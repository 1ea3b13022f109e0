package io.github.moge.examples.invariance;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.metrics.Imed;
import io.github.moge.core.metrics.RoutingStatistics;
import io.github.moge.core.routing.RoutingResult;
import io.github.moge.core.training.DataFingerprint;
import io.github.moge.core.training.EpochEvaluation;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.core.training.TrainingSummary;
import io.github.moge.core.training.data.BatchSource;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.core.training.optim.StatefulAdamW;
import io.github.moge.examples.plot.CurvesFigure;
import io.github.moge.examples.training.RunCustomizer;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.model.InvarianceModel;
import io.github.moge.vision.train.ImageBatches;
import io.github.moge.vision.transform.InvarianceTransforms;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Trains the single-layer MoE and MoGE models of {@link InvarianceModel} on Fashion-MNIST with
 * identical initialisation and data order, then evaluates both: test accuracy, per-class mean
 * routing maps, expert usage and the mean IMED between routing maps of original and transformed
 * test images for each of the twelve {@link InvarianceTransforms}.
 *
 * <p>Training runs through the shared {@link TrainingRun}: {@link MoeLoss} (softmax cross-entropy +
 * lambda L_gs, lambda applied directly: no 0.01 auxiliary factor in this setting), AdamW ({@link
 * StatefulAdamW}, checkpointable) with linear warm-up then cosine decay, a {@link
 * SigmaScheduleListener} advancing sigma once per optimizer step over T = all steps of the run, the
 * data order a function of (seed, epoch), test accuracy after every epoch, checkpoints, and {@code
 * --resume}. Every batch lives in its own {@link NDManager} that is closed after the step, so
 * native memory stays flat.
 *
 * <p>Its length is the paper's whole protocol (model, loss, data, training, test evaluation under
 * every transform, report) in the order the paper states it.
 */
public final class InvarianceExperiment {

    /** Display name of the plain MoE model. */
    public static final String MOE = "MoE";

    /** Display name of the MoGE model. */
    public static final String MOGE = "MoGE";

    private static final int SIDE = FashionMnistDataset.IMAGE_SIZE;

    private final InvarianceSettings settings;
    private final PrintStream log;
    private float[] meanImage;
    private RunCustomizer runOptions = RunCustomizer.NONE;
    private Device device;
    private DataFingerprint recordedData;
    private DataFingerprint data;

    /**
     * Creates the experiment.
     *
     * @param settings the settings (validated by the caller)
     * @param log where progress and summaries go
     */
    public InvarianceExperiment(InvarianceSettings settings, PrintStream log) {
        String problem = settings.validate();
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        this.settings = settings;
        this.log = log;
    }

    /**
     * Sets the device the models are created on (default: the engine's default device); it must be
     * the first training device the run options set.
     *
     * @param device the device
     * @return this experiment
     */
    public InvarianceExperiment optDevice(Device device) {
        this.device = device;
        return this;
    }

    /**
     * Sets options applied to both models' training runs (checkpoint cadence, clipping, divergence
     * guard, fallback), e.g. from the command's {@code TrainingRunOptions}.
     *
     * @param runOptions applied to each {@link TrainingRun.Builder} before it is built
     * @return this experiment
     */
    public InvarianceExperiment optRunOptions(RunCustomizer runOptions) {
        this.runOptions = runOptions;
        return this;
    }

    /**
     * Reads the data from where a resumed run recorded it ({@code train} and {@code test}
     * locations), instead of the settings' data directory or a search.
     *
     * @param recorded the data the run recorded when it started, already checked against the files
     *     ({@link TrainingRun#resumeData}), or null
     * @return this experiment
     */
    public InvarianceExperiment optRecordedData(DataFingerprint recorded) {
        this.recordedData = recorded;
        return this;
    }

    /**
     * Loads the data, trains (or resumes) and evaluates MoE then MoGE, each in its own run
     * directory below {@code output} ({@code train-moe/}, {@code train-moge/}).
     *
     * @param output the command's output directory
     * @param resume whether to resume: a model whose run directory exists is resumed (a finished
     *     one is only loaded), one whose directory does not exist yet is started
     * @return the two results, MoE first
     * @throws IOException if the data cannot be read or a run directory cannot be used
     */
    public List<ModelResult> run(Path output, boolean resume) throws IOException {
        requireBuildable();
        FashionMnistDataset train = load(Dataset.Usage.TRAIN);
        FashionMnistDataset test = load(Dataset.Usage.TEST);
        // Both models record (or, resumed, compare) the same fingerprint of the files read.
        data =
                DataFingerprint.of(
                        Map.of("train", train.getDataLocation(), "test", test.getDataLocation()),
                        Stream.concat(train.getDataFiles().stream(), test.getDataFiles().stream())
                                .toList());
        log.printf(
                Locale.ROOT,
                "Fashion-MNIST from %s: %d training and %d test images%n",
                train.getSource(),
                train.size(),
                test.size());
        log.println("Settings: " + settings.describe());
        meanImage = InputNormalization.meanImage(train);
        List<ModelResult> results = new ArrayList<>();
        for (boolean moge : new boolean[] {false, true}) {
            Path dir = output.resolve(runName(moge));
            results.add(trainAndEvaluate(moge, train, test, dir, resume && Files.exists(dir)));
        }
        return results;
    }

    /**
     * Loads the data, trains and evaluates MoE then MoGE in temporary run directories.
     *
     * @return the two results, MoE first
     * @throws IOException if the data cannot be read
     */
    public List<ModelResult> run() throws IOException {
        requireBuildable();
        FashionMnistDataset train = load(Dataset.Usage.TRAIN);
        FashionMnistDataset test = load(Dataset.Usage.TEST);
        log.printf(
                Locale.ROOT,
                "Fashion-MNIST from %s: %d training and %d test images%n",
                train.getSource(),
                train.size(),
                test.size());
        log.println("Settings: " + settings.describe());
        meanImage = InputNormalization.meanImage(train);
        List<ModelResult> results = new ArrayList<>();
        results.add(trainAndEvaluate(false, train, test));
        results.add(trainAndEvaluate(true, train, test));
        return results;
    }

    /**
     * Builds both models and losses (without parameters) before any data is read or any model
     * trains, so that a setting only one of them uses (the MoGE regularizer's filter, sigma,
     * lambda) is refused before the other one spends its training time.
     *
     * @throws IllegalArgumentException naming the setting that does not build
     */
    void requireBuildable() {
        for (boolean moge : new boolean[] {false, true}) {
            newModel(moge, 1);
            newLoss(moge);
        }
    }

    /**
     * Loads one split with the settings' data directory and limit, flattened.
     *
     * @param usage TRAIN or TEST
     * @return the prepared dataset
     * @throws IOException if the data cannot be found or read
     */
    public FashionMnistDataset load(Dataset.Usage usage) throws IOException {
        int limit = usage == Dataset.Usage.TRAIN ? settings.trainLimit : settings.testLimit;
        FashionMnistDataset.Builder builder =
                FashionMnistDataset.builder()
                        .optUsage(usage)
                        .optFlatten(true)
                        .optAllowDownload(false)
                        .setSampling(settings.batchSize, false);
        Path recorded =
                recordedData != null
                        ? recordedData.getLocation(usage == Dataset.Usage.TRAIN ? "train" : "test")
                        : null;
        if (recorded != null) {
            builder.optDataDir(recorded);
        } else if (settings.dataDir != null) {
            builder.optDataDir(settings.dataDir);
        }
        if (limit > 0) {
            builder.optLimit(limit);
        }
        FashionMnistDataset dataset = builder.build();
        dataset.prepare();
        return dataset;
    }

    /**
     * Trains and evaluates one model in a temporary run directory that is deleted afterwards (no
     * checkpoints are kept).
     *
     * @param moge true for MoGE, false for plain MoE
     * @param train the training set (flattened)
     * @param test the test set (flattened)
     * @return the result
     * @throws IOException if the temporary directory cannot be written
     */
    public ModelResult trainAndEvaluate(
            boolean moge, FashionMnistDataset train, FashionMnistDataset test) throws IOException {
        Path temp = Files.createTempDirectory("moge-invariance-");
        try {
            return trainAndEvaluate(moge, train, test, temp.resolve(runName(moge)), false);
        } finally {
            deleteTemporary(temp);
        }
    }

    /**
     * Builds the model one run trains: the MoE model, or the MoGE model with the sigma schedule
     * over the run's {@code totalSteps}.
     *
     * @param moge true for MoGE, false for plain MoE
     * @param totalSteps T of the sigma schedule, the run's optimizer steps
     * @return the model, not initialized
     */
    InvarianceModel newModel(boolean moge, int totalSteps) {
        InvarianceModel.Builder modelBuilder =
                InvarianceModel.builder()
                        .optExperts(settings.experts)
                        .optHiddenSize(settings.hiddenSize)
                        .optFilterSize(settings.filterSize);
        if (moge) {
            modelBuilder.optGroupSparse(
                    new SigmaSchedule.Setting(
                                    settings.sigmaMax, settings.sigmaMin, settings.sigmaPower)
                            .over(totalSteps));
        }
        return modelBuilder.build();
    }

    /**
     * Builds the loss one run trains with: cross-entropy, plus lambda L_gs for MoGE (no 0.01
     * auxiliary factor in this setting).
     *
     * @param moge true for MoGE, false for plain MoE
     * @return the loss
     */
    MoeLoss newLoss(boolean moge) {
        return MoeLoss.builder()
                .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                .optGroupSparseWeight(moge ? settings.lambda : 0f)
                .build();
    }

    /**
     * Trains (or resumes) and evaluates one model through the shared {@link TrainingRun}:
     * checkpoints, {@code metrics.csv} and {@code epochs.csv} go to {@code runDirectory}.
     *
     * @param moge true for MoGE, false for plain MoE
     * @param train the training set (flattened)
     * @param test the test set (flattened)
     * @param runDirectory the model's run directory
     * @param resume whether to resume the run in {@code runDirectory} (a finished run is only
     *     loaded)
     * @return the result
     * @throws IOException if the run directory cannot be used
     */
    public ModelResult trainAndEvaluate(
            boolean moge,
            FashionMnistDataset train,
            FashionMnistDataset test,
            Path runDirectory,
            boolean resume)
            throws IOException {
        String name = moge ? MOGE : MOE;
        if (meanImage == null) {
            meanImage = InputNormalization.meanImage(train);
        }
        int n = Math.toIntExact(train.size());
        int stepsPerEpoch = (n + settings.batchSize - 1) / settings.batchSize;
        int totalSteps = stepsPerEpoch * settings.epochs;
        int warmupSteps =
                (int)
                        Math.min(
                                totalSteps - 1L,
                                Math.round(settings.effectiveWarmupEpochs() * stepsPerEpoch));

        // Same seed for both models: same initial weights (the regularizer has no parameters), same
        // per-step noise and the same data order (TrainingRun derives all three from the seed).
        InvarianceModel invariance = newModel(moge, totalSteps);
        MoeLoss loss = newLoss(moge);
        Tracker cosine =
                CosineTracker.builder()
                        .setBaseValue(settings.learningRate)
                        .optFinalValue(0f)
                        .setMaxUpdates(Math.max(1, totalSteps - warmupSteps))
                        .build();
        Tracker lr =
                warmupSteps > 0
                        ? WarmUpTracker.builder()
                                .setMainTracker(cosine)
                                .optWarmUpSteps(warmupSteps)
                                .optWarmUpBeginValue(0f)
                                .build()
                        : cosine;
        String crossEntropy = loss.getBaseLoss().getName();
        String groupSparse = AuxiliaryTerms.GROUP_SPARSE_LOSS;
        Accuracy accuracy = new Accuracy();

        log.printf(
                Locale.ROOT,
                "%n== %s: %d epoch%s x %d steps (T = %d, warm-up %d steps)%s, run directory %s%n",
                name,
                settings.epochs,
                settings.epochs == 1 ? "" : "s",
                stepsPerEpoch,
                totalSteps,
                warmupSteps,
                moge
                        ? String.format(
                                Locale.ROOT,
                                ", lambda %g, sigma %g -> %g (p %g)",
                                settings.lambda,
                                settings.sigmaMax,
                                settings.sigmaMin,
                                settings.sigmaPower)
                        : "",
                runDirectory);

        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("model", name);
        String modelName = "invariance-" + name.toLowerCase(Locale.ROOT);
        try (Model model =
                device == null
                        ? Model.newInstance(modelName)
                        : Model.newInstance(modelName, device)) {
            model.setBlock(invariance.getBlock());
            TrainingRun.Builder builder =
                    TrainingRun.builder()
                            .setModel(model)
                            .setLoss(loss)
                            .setOptimizer(
                                    StatefulAdamW.builder()
                                            .optLearningRateTracker(lr)
                                            .optWeightDecays(settings.weightDecay)
                                            .build())
                            .setTrainingData(trainingBatches(train))
                            .addEvaluator(accuracy)
                            .addListener(new SigmaScheduleListener())
                            .addEpochEvaluation(new TestEvaluation(invariance, test))
                            .setInputShapes(new Shape(settings.batchSize, (long) SIDE * SIDE))
                            .setEpochs(settings.epochs)
                            .setSeed(settings.seed)
                            .optConfiguration(settings.toConfiguration().with(identity))
                            .optLog(log)
                            .optProgressEvery(
                                    settings.progress ? Math.max(1, stepsPerEpoch / 5) : 0);
            runOptions.apply(builder, runDirectory);
            builder.optDataFingerprint(data);
            TrainingRun run = builder.build();
            TrainingSummary summary = resume ? run.resume(runDirectory) : run.run(runDirectory);
            CurvesFigure.writeFor(runDirectory, log::println);
            if (!summary.isCompleted()) {
                throw new IllegalStateException(
                        name
                                + " training stopped at step "
                                + summary.getStep()
                                + " of "
                                + totalSteps
                                + "; resume it with --resume");
            }

            List<EpochMetrics> epochs = new ArrayList<>();
            double trainSeconds = 0;
            for (EpochRecord record : EpochRecord.readAll(runDirectory)) {
                Map<String, Double> t = record.getTraining();
                Map<String, Double> v = record.getValidation();
                trainSeconds += record.getSeconds();
                epochs.add(
                        new EpochMetrics(
                                record.getEpoch() + 1,
                                name,
                                t.getOrDefault("loss", Double.NaN),
                                t.getOrDefault(crossEntropy, Double.NaN),
                                t.getOrDefault(groupSparse, Double.NaN),
                                t.getOrDefault(accuracy.getName(), Double.NaN),
                                v.getOrDefault(TestEvaluation.ACCURACY, Double.NaN),
                                record.getSeconds(),
                                n / record.getSeconds(),
                                (int) Math.round(v.getOrDefault(TestEvaluation.MAX_LOAD, -1.0))));
            }
            long evalStart = System.nanoTime();
            ParameterStore evalStore = new ParameterStore(model.getNDManager(), false);
            ModelResult result =
                    evaluate(
                            name,
                            invariance,
                            evalStore,
                            test,
                            epochs.get(epochs.size() - 1).testAccuracy(),
                            trainSeconds,
                            totalSteps,
                            epochs,
                            evalStart,
                            runDirectory);
            log.printf(
                    Locale.ROOT,
                    "%s: test accuracy %.4f, %d of %d experts used, trained in %.1f s, evaluated in"
                            + " %.1f s%n",
                    name,
                    result.testAccuracy(),
                    result.activeExperts(),
                    settings.experts,
                    result.trainSeconds(),
                    result.evalSeconds());
            return result;
        }
    }

    /** {@return the name of a model's run directory below the command's output directory} */
    static String runName(boolean moge) {
        return moge ? "train-moge" : "train-moe";
    }

    private static void deleteTemporary(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Returns the training batches a run reads: the settings' batch size, shuffled per epoch from
     * the seed, normalised as the settings say.
     *
     * @param train the training set (flattened)
     * @return the batch source
     */
    BatchSource trainingBatches(FashionMnistDataset train) {
        if (meanImage == null) {
            meanImage = InputNormalization.meanImage(train);
        }
        return ImageBatches.builder()
                .setData(train)
                .setBatchSize(settings.batchSize)
                .optTransform(this::normalize)
                .build();
    }

    private NDArray normalize(NDArray images) {
        return settings.inputNormalization.apply(images, meanImage);
    }

    /**
     * After every epoch: test accuracy and the largest number of test tokens one expert receives in
     * a batch of the training batch size (the dropless padding the experts run on).
     */
    private final class TestEvaluation implements EpochEvaluation {

        static final String ACCURACY = "test_accuracy";
        static final String MAX_LOAD = "max_tokens_per_expert";

        private final InvarianceModel invariance;
        private final FashionMnistDataset test;

        TestEvaluation(InvarianceModel invariance, FashionMnistDataset test) {
            this.invariance = invariance;
            this.test = test;
        }

        @Override
        public List<String> names() {
            return List.of(ACCURACY, MAX_LOAD);
        }

        @Override
        public double[] evaluate(Trainer trainer, int epoch) {
            ParameterStore store = new ParameterStore(trainer.getManager(), false);
            int n = Math.toIntExact(test.size());
            int batchSize = settings.batchSize;
            long correct = 0;
            long maxLoad = 0;
            for (int from = 0; from < n; from += batchSize) {
                long[] idx = range(from, Math.min(n, from + batchSize));
                try (NDManager sub = trainer.getManager().newSubManager()) {
                    NDArray x = normalize(test.getImages(sub, idx));
                    NDArray y = test.getLabels(sub, idx);
                    NDArray logits = trainer.evaluate(new NDList(x)).head();
                    correct +=
                            logits.argMax(1).toType(DataType.FLOAT32, false).eq(y).sum().getLong();
                    RoutingResult routing = invariance.route(store, x);
                    NDArray counts =
                            routing.getExperts()
                                    .reshape(-1)
                                    .oneHot(
                                            invariance.getMoeBlock().getNumExperts(),
                                            DataType.INT64)
                                    .sum(new int[] {0});
                    maxLoad = Math.max(maxLoad, counts.max().getLong());
                }
            }
            return new double[] {(double) correct / n, maxLoad};
        }
    }

    private ModelResult evaluate(
            String name,
            InvarianceModel invariance,
            ParameterStore store,
            FashionMnistDataset test,
            double testAccuracy,
            double trainSeconds,
            int steps,
            List<EpochMetrics> epochs,
            long evalStart,
            Path runDirectory)
            throws IOException {
        TopographicMap map = invariance.getMap();
        int experts = map.size();
        int classes = FashionMnistDataset.NUM_CLASSES;
        RoutingStatistics usage = RoutingStatistics.create(experts);
        RoutingInvariance invarianceMeter =
                new RoutingInvariance(
                        Imed.of(map.rows(), map.cols()),
                        settings.transforms.transforms(settings.seed),
                        SIDE,
                        SIDE);
        double[][] classSums = new double[classes][experts];
        long[] classCounts = new long[classes];
        int n = Math.toIntExact(test.size());
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int from = 0; from < n; from += settings.evalBatchSize) {
                long[] idx = range(from, Math.min(n, from + settings.evalBatchSize));
                try (NDManager sub = manager.newSubManager()) {
                    NDArray raw = test.getImages(sub, idx);
                    NDArray y = test.getLabels(sub, idx);
                    RoutingResult routing = invariance.route(store, normalize(raw));
                    NDArray z = routing.getRoutingInput();
                    usage.update(routing, null);
                    // per-class sums of z: oneHot(labels)^T z, [classes, E]
                    NDArray perClass =
                            y.toType(DataType.INT64, false)
                                    .oneHot(classes, DataType.FLOAT64)
                                    .transpose()
                                    .matMul(z.toType(DataType.FLOAT64, false));
                    double[] flat = perClass.toDoubleArray();
                    for (int c = 0; c < classes; c++) {
                        for (int e = 0; e < experts; e++) {
                            classSums[c][e] += flat[c * experts + e];
                        }
                    }
                    for (long i : idx) {
                        classCounts[test.getLabel(i)]++;
                    }
                    invarianceMeter.update(
                            raw,
                            z,
                            images -> invariance.route(store, normalize(images)).getRoutingInput());
                }
            }
        }
        float[][] classMaps = new float[classes][experts];
        for (int c = 0; c < classes; c++) {
            for (int e = 0; e < experts; e++) {
                classMaps[c][e] =
                        classCounts[c] == 0 ? 0f : (float) (classSums[c][e] / classCounts[c]);
            }
        }
        // Each test image's d per transform, for a bootstrap over test images (moge compare).
        InvarianceReport.writePerImageImed(
                runDirectory.resolve(InvarianceReport.PER_IMAGE_FILE),
                settings.transforms.transforms(settings.seed),
                invarianceMeter);
        double[][] perImage = new double[invarianceMeter.means().length][];
        for (int t = 0; t < perImage.length; t++) {
            perImage[t] = invarianceMeter.perImage(t);
        }
        double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
        return new ModelResult(
                name,
                testAccuracy,
                invarianceMeter.means(),
                perImage,
                classMaps,
                usage.getActiveExperts(),
                trainSeconds,
                evalSeconds,
                steps,
                List.copyOf(epochs));
    }

    private static long[] range(int from, int to) {
        long[] idx = new long[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return idx;
    }
}
