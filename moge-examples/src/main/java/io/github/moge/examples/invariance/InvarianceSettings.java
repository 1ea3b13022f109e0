package io.github.moge.examples.invariance;

import io.github.moge.core.training.RunConfiguration;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The knobs of one invariance run (both models). Defaults are the short CPU run of {@code moge
 * invariance}; {@link #paper()} gives the paper's full setting.
 *
 * <p>Warm-up rule: the paper warms up for 10 of 150 epochs; unless set explicitly the warm-up is the
 * same fraction, {@code epochs / 15} epochs (rounded to whole optimizer steps).
 */
public final class InvarianceSettings {

    /** Default number of epochs of the short run. */
    public static final int DEFAULT_EPOCHS = 2;

    /** Default number of training images of the short run (0 = all 60000). */
    public static final int DEFAULT_TRAIN_LIMIT = 6000;

    /** Default number of test images (0 = all 10000). */
    public static final int DEFAULT_TEST_LIMIT = 0;

    int epochs = DEFAULT_EPOCHS;
    int trainLimit = DEFAULT_TRAIN_LIMIT;
    int testLimit = DEFAULT_TEST_LIMIT;
    Path dataDir;
    int seed = 42;
    float lambda = 4e-3f;
    float sigmaMax = 10f;
    float sigmaMin = 1.5f;
    float sigmaPower = 0.3f;
    int filterSize = 3;
    int batchSize = 200;
    float learningRate = 1e-3f;
    float weightDecay = 0.05f;
    double warmupEpochs = Double.NaN;
    int experts = 400;
    int hiddenSize = 64;
    int evalBatchSize = 500;
    boolean progress = true;
    InputNormalization inputNormalization = InputNormalization.PIXEL;
    TransformProtocol transforms = TransformProtocol.PAPER;

    /** Creates the default (short CPU) settings. */
    public InvarianceSettings() {}

    /**
     * Returns the paper's full setting: 150 epochs on all 60000 training images, 10 warm-up epochs.
     *
     * @return the settings
     */
    public static InvarianceSettings paper() {
        return new InvarianceSettings().epochs(150).trainLimit(0).warmupEpochs(10);
    }

    /**
     * Sets the number of epochs.
     *
     * @param epochs &gt;= 1
     * @return this
     */
    public InvarianceSettings epochs(int epochs) {
        this.epochs = epochs;
        return this;
    }

    /**
     * Sets how many training images to use (the first N; 0 = all).
     *
     * @param trainLimit &gt;= 0
     * @return this
     */
    public InvarianceSettings trainLimit(int trainLimit) {
        this.trainLimit = trainLimit;
        return this;
    }

    /**
     * Sets how many test images to use (the first N; 0 = all 10000).
     *
     * @param testLimit &gt;= 0
     * @return this
     */
    public InvarianceSettings testLimit(int testLimit) {
        this.testLimit = testLimit;
        return this;
    }

    /**
     * Sets the directory holding the Fashion-MNIST IDX files (null = the dataset's default lookup).
     *
     * @param dataDir the directory or null
     * @return this
     */
    public InvarianceSettings dataDir(Path dataDir) {
        this.dataDir = dataDir;
        return this;
    }

    /**
     * Sets the random seed (engine, initialisation, shuffle).
     *
     * @param seed the seed
     * @return this
     */
    public InvarianceSettings seed(int seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Sets lambda, the weight on L_gs of the MoGE model.
     *
     * @param lambda &gt;= 0
     * @return this
     */
    public InvarianceSettings lambda(float lambda) {
        this.lambda = lambda;
        return this;
    }

    /**
     * Sets the sigma schedule: max, min and power p.
     *
     * @param max sigma at step 0
     * @param min sigma at the last step
     * @param power p
     * @return this
     */
    public InvarianceSettings sigma(float max, float min, float power) {
        this.sigmaMax = max;
        this.sigmaMin = min;
        this.sigmaPower = power;
        return this;
    }

    /**
     * Sets the filter size f of the regularizer.
     *
     * @param filterSize f
     * @return this
     */
    public InvarianceSettings filterSize(int filterSize) {
        this.filterSize = filterSize;
        return this;
    }

    /**
     * Sets the training batch size.
     *
     * @param batchSize &gt;= 1
     * @return this
     */
    public InvarianceSettings batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
    }

    /**
     * Sets the peak learning rate of AdamW.
     *
     * @param learningRate &gt; 0
     * @return this
     */
    public InvarianceSettings learningRate(float learningRate) {
        this.learningRate = learningRate;
        return this;
    }

    /**
     * Sets the AdamW weight decay.
     *
     * @param weightDecay &gt;= 0
     * @return this
     */
    public InvarianceSettings weightDecay(float weightDecay) {
        this.weightDecay = weightDecay;
        return this;
    }

    /**
     * Sets the warm-up length in epochs (may be fractional); NaN = {@code epochs / 15}.
     *
     * @param warmupEpochs &gt;= 0 or NaN
     * @return this
     */
    public InvarianceSettings warmupEpochs(double warmupEpochs) {
        this.warmupEpochs = warmupEpochs;
        return this;
    }

    /**
     * Sets the number of experts (default 400, a 20 x 20 map) and their hidden width (default 64).
     *
     * @param experts E
     * @param hiddenSize h
     * @return this
     */
    public InvarianceSettings experts(int experts, int hiddenSize) {
        this.experts = experts;
        this.hiddenSize = hiddenSize;
        return this;
    }

    /**
     * Sets how images are normalised before the model (default {@link InputNormalization#PIXEL}).
     *
     * @param inputNormalization the normalisation
     * @return this
     */
    public InvarianceSettings inputNormalization(InputNormalization inputNormalization) {
        this.inputNormalization = inputNormalization;
        return this;
    }

    /**
     * Sets which transforms the evaluation applies (default {@link TransformProtocol#PAPER}).
     *
     * @param transforms the protocol
     * @return this
     */
    public InvarianceSettings transforms(TransformProtocol transforms) {
        this.transforms = transforms;
        return this;
    }

    /**
     * Sets whether a progress bar is printed per epoch.
     *
     * @param progress true to print
     * @return this
     */
    public InvarianceSettings progress(boolean progress) {
        this.progress = progress;
        return this;
    }

    /**
     * Returns the effective warm-up in epochs: the explicit value, or {@code epochs / 15}.
     *
     * @return warm-up epochs
     */
    public double effectiveWarmupEpochs() {
        return Double.isNaN(warmupEpochs) ? epochs / 15.0 : warmupEpochs;
    }

    /**
     * Checks every value and returns a one-line reason for the first bad one.
     *
     * @return null when valid, else the reason
     */
    public String validate() {
        if (epochs < 1) {
            return "--epochs must be >= 1, got " + epochs;
        }
        if (trainLimit < 0) {
            return "--train-limit must be >= 0 (0 = all 60000), got " + trainLimit;
        }
        if (testLimit < 0) {
            return "--test-limit must be >= 0 (0 = all 10000), got " + testLimit;
        }
        if (!(lambda >= 0) || Float.isInfinite(lambda)) {
            return "--lambda must be finite and >= 0, got " + lambda;
        }
        if (!(sigmaMin > 0) || !(sigmaMax >= sigmaMin) || Float.isInfinite(sigmaMax)) {
            return "sigma must satisfy 0 < --sigma-min <= --sigma-max (finite), got min "
                    + sigmaMin + " and max " + sigmaMax;
        }
        if (!(sigmaPower >= 0) || Float.isInfinite(sigmaPower)) {
            return "--sigma-power must be finite and >= 0, got " + sigmaPower;
        }
        if (batchSize < 1) {
            return "--batch-size must be >= 1, got " + batchSize;
        }
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
            return "--lr must be finite and > 0, got " + learningRate;
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            return "weight decay must be finite and >= 0, got " + weightDecay;
        }
        if (!Double.isNaN(warmupEpochs) && !(warmupEpochs >= 0 && warmupEpochs <= epochs)) {
            return "--warmup-epochs must be in [0, epochs = " + epochs + "], got " + warmupEpochs;
        }
        if (inputNormalization == null) {
            return "input normalisation must be none, global or pixel";
        }
        if (experts < 1 || hiddenSize < 1 || filterSize < 1 || evalBatchSize < 1) {
            return "experts, hidden size, filter size and evaluation batch must be >= 1";
        }
        return null;
    }

    /**
     * Returns the settings that define the run, as saved in each model's {@code config.json} and read back
     * by {@code --resume} (the progress display is not part of it).
     *
     * @return the configuration
     */
    public RunConfiguration toConfiguration() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("command", "invariance");
        values.put("epochs", epochs);
        values.put("trainLimit", trainLimit);
        values.put("testLimit", testLimit);
        values.put("dataDir", dataDir);
        values.put("seed", seed);
        values.put("lambda", lambda);
        values.put("sigmaMax", sigmaMax);
        values.put("sigmaMin", sigmaMin);
        values.put("sigmaPower", sigmaPower);
        values.put("filterSize", filterSize);
        values.put("batchSize", batchSize);
        values.put("learningRate", learningRate);
        values.put("weightDecay", weightDecay);
        values.put("warmupEpochs", effectiveWarmupEpochs());
        values.put("experts", experts);
        values.put("hiddenSize", hiddenSize);
        values.put("evalBatchSize", evalBatchSize);
        values.put("inputNormalization", inputNormalization);
        values.put("transforms", transforms);
        return RunConfiguration.of(values);
    }

    /**
     * Rebuilds settings from a saved configuration ({@link #toConfiguration()}).
     *
     * @param configuration the configuration
     * @return the settings
     * @throws IllegalArgumentException if it is not an invariance configuration
     */
    public static InvarianceSettings fromConfiguration(RunConfiguration configuration) {
        if (!"invariance".equals(configuration.getString("command"))) {
            throw new IllegalArgumentException(
                    "the run was not written by 'moge invariance' (command: "
                            + configuration.getString("command") + ")");
        }
        InvarianceSettings s =
                new InvarianceSettings()
                        .epochs(configuration.getInt("epochs"))
                        .trainLimit(configuration.getInt("trainLimit"))
                        .testLimit(configuration.getInt("testLimit"))
                        .dataDir(configuration.has("dataDir") ? Path.of(configuration.getString("dataDir")) : null)
                        .seed(configuration.getInt("seed"))
                        .lambda(configuration.getFloat("lambda"))
                        .sigma(configuration.getFloat("sigmaMax"), configuration.getFloat("sigmaMin"),
                                configuration.getFloat("sigmaPower"))
                        .filterSize(configuration.getInt("filterSize"))
                        .batchSize(configuration.getInt("batchSize"))
                        .learningRate(configuration.getFloat("learningRate"))
                        .weightDecay(configuration.getFloat("weightDecay"))
                        .warmupEpochs(configuration.getDouble("warmupEpochs"))
                        .experts(configuration.getInt("experts"), configuration.getInt("hiddenSize"))
                        .inputNormalization(
                                InputNormalization.valueOf(configuration.getString("inputNormalization")));
        s.evalBatchSize = configuration.getInt("evalBatchSize");
        // runs saved before the choice existed were measured with the fixed-maximum transforms
        s.transforms = configuration.has("transforms")
                ? TransformProtocol.valueOf(configuration.getString("transforms"))
                : TransformProtocol.FIXED;
        return s;
    }

    /**
     * Returns the settings as one line for logs and reports.
     *
     * @return a description
     */
    public String describe() {
        return String.format(
                java.util.Locale.ROOT,
                "epochs %d, train images %s, test images %s, batch %d, AdamW lr %g wd %g, warm-up %.3g"
                        + " epochs then cosine, E %d (hidden %d), lambda %g, sigma %g -> %g (p %g),"
                        + " f %d, input %s, transforms %s, seed %d",
                epochs,
                trainLimit == 0 ? "all" : Integer.toString(trainLimit),
                testLimit == 0 ? "all" : Integer.toString(testLimit),
                batchSize,
                learningRate,
                weightDecay,
                effectiveWarmupEpochs(),
                experts,
                hiddenSize,
                lambda,
                sigmaMax,
                sigmaMin,
                sigmaPower,
                filterSize,
                inputNormalization.name().toLowerCase(java.util.Locale.ROOT),
                transforms.name().toLowerCase(java.util.Locale.ROOT),
                seed);
    }
}
