package io.github.moge.examples.invariance;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.training.util.ProgressBar;
import ai.djl.translate.Batchifier;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.metrics.Imed;
import io.github.moge.core.metrics.RoutingStatistics;
import io.github.moge.core.routing.RoutingResult;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.model.InvarianceModel;
import io.github.moge.vision.transform.InvarianceTransforms;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Trains the single-layer MoE and MoGE models of {@link InvarianceModel} on Fashion-MNIST with identical
 * initialisation and data order, then evaluates both: test accuracy, per-class mean routing maps, expert
 * usage and the mean IMED between routing maps of original and transformed test images for each of the
 * twelve {@link InvarianceTransforms}.
 *
 * <p>Training uses DJL's {@link Trainer} ({@link EasyTrain#trainBatch}) with {@link MoeLoss} (softmax
 * cross-entropy + lambda L_gs, lambda applied directly: no 0.01 auxiliary factor in this setting),
 * AdamW with linear warm-up then cosine decay, and a {@link SigmaScheduleListener} advancing sigma once
 * per optimizer step over T = all steps of the run. Every batch lives in its own {@link NDManager}
 * that is closed after the step, so native memory stays flat.
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
     * Loads the data, trains and evaluates MoE then MoGE.
     *
     * @return the two results, MoE first
     * @throws IOException if the data cannot be read
     */
    public List<ModelResult> run() throws IOException {
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
        if (settings.dataDir != null) {
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
     * Trains and evaluates one model.
     *
     * @param moge true for MoGE, false for plain MoE
     * @param train the training set (flattened)
     * @param test the test set (flattened)
     * @return the result
     */
    public ModelResult trainAndEvaluate(
            boolean moge, FashionMnistDataset train, FashionMnistDataset test) {
        String name = moge ? MOGE : MOE;
        if (meanImage == null) {
            meanImage = InputNormalization.meanImage(train);
        }
        int n = Math.toIntExact(train.size());
        int stepsPerEpoch = (n + settings.batchSize - 1) / settings.batchSize;
        int totalSteps = stepsPerEpoch * settings.epochs;
        int warmupSteps =
                (int) Math.min(
                        totalSteps - 1L,
                        Math.round(settings.effectiveWarmupEpochs() * stepsPerEpoch));

        // Same seed for both models: same initial weights (the regularizer has no parameters), same
        // noise stream and the same data order.
        Engine.getInstance().setRandomSeed(settings.seed);
        InvarianceModel.Builder modelBuilder =
                InvarianceModel.builder()
                        .optExperts(settings.experts)
                        .optHiddenSize(settings.hiddenSize)
                        .optFilterSize(settings.filterSize);
        if (moge) {
            modelBuilder.optGroupSparse(
                    SigmaSchedule.builder()
                            .setMax(settings.sigmaMax)
                            .setMin(settings.sigmaMin)
                            .setPower(settings.sigmaPower)
                            .setTotalSteps(totalSteps)
                            .build());
        }
        InvarianceModel invariance = modelBuilder.build();

        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                        .optGroupSparseWeight(moge ? settings.lambda : 0f)
                        .build();
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
        SigmaScheduleListener sigma = new SigmaScheduleListener();
        Accuracy accuracy = new Accuracy();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(loss)
                        .optDevices(new Device[] {Engine.getInstance().defaultDevice()})
                        .optOptimizer(
                                Optimizer.adamW()
                                        .optLearningRateTracker(lr)
                                        .optWeightDecays(settings.weightDecay)
                                        .build())
                        .addEvaluator(accuracy)
                        .addTrainingListeners(new EvaluatorTrainingListener())
                        .addTrainingListeners(sigma);
        loss.getTerms().forEach(config::addEvaluator);
        Loss crossEntropy = loss.getTerms().get(0);
        Loss groupSparse = loss.getTerms().get(2);

        log.printf(
                Locale.ROOT,
                "%n== %s: %d epochs x %d steps (T = %d, warm-up %d steps)%s%n",
                name,
                settings.epochs,
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
                        : "");

        List<EpochMetrics> epochs = new ArrayList<>();
        Random shuffle = new Random(settings.seed);
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double trainSeconds = 0;
        try (Model model = Model.newInstance("invariance-" + name.toLowerCase(Locale.ROOT))) {
            model.setBlock(invariance.getBlock());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(settings.batchSize, (long) SIDE * SIDE));
                ParameterStore evalStore = new ParameterStore(trainer.getManager(), false);
                for (int epoch = 1; epoch <= settings.epochs; epoch++) {
                    shuffle(order, shuffle);
                    ProgressBar bar =
                            settings.progress
                                    ? new ProgressBar(
                                            String.format(
                                                    Locale.ROOT,
                                                    "%s epoch %d/%d",
                                                    name,
                                                    epoch,
                                                    settings.epochs),
                                            stepsPerEpoch)
                                    : null;
                    long start = System.nanoTime();
                    for (int step = 0; step < stepsPerEpoch; step++) {
                        int from = step * settings.batchSize;
                        int to = Math.min(n, from + settings.batchSize);
                        long[] idx = java.util.Arrays.copyOfRange(order, from, to);
                        NDManager batchManager = trainer.getManager().newSubManager();
                        NDArray x = normalize(train.getImages(batchManager, idx));
                        NDArray y = train.getLabels(batchManager, idx);
                        try (Batch batch =
                                new Batch(
                                        batchManager,
                                        new NDList(x),
                                        new NDList(y),
                                        idx.length,
                                        Batchifier.STACK,
                                        Batchifier.STACK,
                                        step,
                                        stepsPerEpoch)) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                        }
                        if (bar != null) {
                            double elapsed = (System.nanoTime() - start) / 1e9;
                            bar.update(
                                    step + 1,
                                    String.format(
                                            Locale.ROOT,
                                            "loss %.4f (CE %.4f + gs %.4f) acc %.3f sigma %.2f | %.0f img/s",
                                            running(trainer.getLoss()),
                                            running(crossEntropy),
                                            running(groupSparse),
                                            running(accuracy),
                                            moge ? invariance.getMoeBlock().getSigma() : Float.NaN,
                                            to / elapsed));
                        }
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    trainSeconds += seconds;
                    if (bar != null) {
                        bar.end();
                    }
                    double trainLoss = running(trainer.getLoss());
                    double ce = running(crossEntropy);
                    double gs = running(groupSparse);
                    double trainAcc = running(accuracy);
                    trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                    double[] testEval = testAccuracy(trainer, invariance, evalStore, test);
                    EpochMetrics metrics =
                            new EpochMetrics(
                                    epoch,
                                    name,
                                    trainLoss,
                                    ce,
                                    gs,
                                    trainAcc,
                                    testEval[0],
                                    seconds,
                                    n / seconds,
                                    (int) testEval[1]);
                    epochs.add(metrics);
                    log.printf(
                            Locale.ROOT,
                            "%s epoch %d: loss %.4f (CE %.4f, lambda*L_gs %.4f), train acc %.4f, test acc"
                                    + " %.4f, %.1f s, %.0f img/s, %.0f ms/step, max tokens/expert in a"
                                    + " batch of %d: %d%n",
                            name,
                            epoch,
                            trainLoss,
                            ce,
                            gs,
                            trainAcc,
                            testEval[0],
                            seconds,
                            n / seconds,
                            1000 * seconds / stepsPerEpoch,
                            settings.batchSize,
                            (int) testEval[1]);
                }
                long evalStart = System.nanoTime();
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
                                evalStart);
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
    }

    private NDArray normalize(NDArray images) {
        return settings.inputNormalization.apply(images, meanImage);
    }

    private static double running(Evaluator evaluator) {
        return evaluator.getAccumulator(EvaluatorTrainingListener.TRAIN_EPOCH);
    }

    private static void shuffle(long[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
    }

    /** Returns {test accuracy, largest per-expert token count in a training-size batch}. */
    private double[] testAccuracy(
            Trainer trainer,
            InvarianceModel invariance,
            ParameterStore store,
            FashionMnistDataset test) {
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
                correct += logits.argMax(1).toType(DataType.FLOAT32, false).eq(y).sum().getLong();
                RoutingResult routing = invariance.route(store, x);
                NDArray counts =
                        routing.getExperts()
                                .reshape(-1)
                                .oneHot(invariance.getMoeBlock().getNumExperts(), DataType.INT64)
                                .sum(new int[] {0});
                maxLoad = Math.max(maxLoad, counts.max().getLong());
            }
        }
        return new double[] {(double) correct / n, maxLoad};
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
            long evalStart) {
        TopographicMap map = invariance.getMap();
        int experts = map.size();
        int classes = FashionMnistDataset.NUM_CLASSES;
        RoutingStatistics usage = RoutingStatistics.create(experts);
        RoutingInvariance invarianceMeter =
                new RoutingInvariance(
                        Imed.of(map.rows(), map.cols()), InvarianceTransforms.all(), SIDE, SIDE);
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
                            raw, z, images -> invariance.route(store, normalize(images)).getRoutingInput());
                }
            }
        }
        float[][] classMaps = new float[classes][experts];
        for (int c = 0; c < classes; c++) {
            for (int e = 0; e < experts; e++) {
                classMaps[c][e] = classCounts[c] == 0 ? 0f : (float) (classSums[c][e] / classCounts[c]);
            }
        }
        double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
        return new ModelResult(
                name,
                testAccuracy,
                invarianceMeter.means(),
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
