package io.github.moge.examples.invariance;

import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.CommandSettings;
import io.github.moge.examples.training.PerInvocation;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The knobs of one invariance run (both models). Defaults are the short CPU run of {@code moge
 * invariance}; {@link #paper()} gives the paper's full setting.
 *
 * <p>Warm-up rule: the paper warms up for 10 of 150 epochs; unless set explicitly the warm-up is
 * the same fraction, {@code epochs / 15} epochs (rounded to whole optimizer steps).
 *
 * <p>Immutable: every setter returns a changed copy (the fields are package-private for {@link
 * InvarianceExperiment} to read; nothing assigns them once a copy is returned). Saved in {@code
 * config.json} and read back by {@link CommandSettings} (keys in snake_case, e.g. {@code
 * sigma_max}); the progress display is not saved.
 */
public final class InvarianceSettings implements Cloneable {

    /** The command's name, saved in {@code config.json}. */
    static final String COMMAND = "invariance";

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
    float sigmaMax = SigmaSchedule.VISION.max();
    float sigmaMin = SigmaSchedule.VISION.min();
    float sigmaPower = SigmaSchedule.VISION.power();
    int filterSize = 3;
    int batchSize = 200;
    float learningRate = 1e-3f;
    float weightDecay = 0.05f;
    double warmupEpochs = Double.NaN;
    int experts = 400;
    int hiddenSize = 64;
    int evalBatchSize = 500;
    @PerInvocation boolean progress = true;
    InputNormalization inputNormalization = InputNormalization.NONE;
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
     * @return a copy with the change
     */
    public InvarianceSettings epochs(int epochs) {
        InvarianceSettings copy = copy();
        copy.epochs = epochs;
        return copy;
    }

    /**
     * Sets how many training images to use (the first N; 0 = all).
     *
     * @param trainLimit &gt;= 0
     * @return a copy with the change
     */
    public InvarianceSettings trainLimit(int trainLimit) {
        InvarianceSettings copy = copy();
        copy.trainLimit = trainLimit;
        return copy;
    }

    /**
     * Sets how many test images to use (the first N; 0 = all 10000).
     *
     * @param testLimit &gt;= 0
     * @return a copy with the change
     */
    public InvarianceSettings testLimit(int testLimit) {
        InvarianceSettings copy = copy();
        copy.testLimit = testLimit;
        return copy;
    }

    /**
     * Sets the directory holding the Fashion-MNIST IDX files (null = the dataset's default lookup).
     *
     * @param dataDir the directory or null
     * @return a copy with the change
     */
    public InvarianceSettings dataDir(Path dataDir) {
        InvarianceSettings copy = copy();
        copy.dataDir = dataDir;
        return copy;
    }

    /**
     * Sets the random seed (engine, initialisation, shuffle).
     *
     * @param seed the seed
     * @return a copy with the change
     */
    public InvarianceSettings seed(int seed) {
        InvarianceSettings copy = copy();
        copy.seed = seed;
        return copy;
    }

    /**
     * Sets lambda, the weight on L_gs of the MoGE model.
     *
     * @param lambda &gt;= 0
     * @return a copy with the change
     */
    public InvarianceSettings lambda(float lambda) {
        InvarianceSettings copy = copy();
        copy.lambda = lambda;
        return copy;
    }

    /**
     * Sets the sigma schedule: max, min and power p.
     *
     * @param max sigma at step 0
     * @param min sigma at the last step
     * @param power p
     * @return a copy with the change
     */
    public InvarianceSettings sigma(float max, float min, float power) {
        InvarianceSettings copy = copy();
        copy.sigmaMax = max;
        copy.sigmaMin = min;
        copy.sigmaPower = power;
        return copy;
    }

    /**
     * Sets the filter size f of the regularizer.
     *
     * @param filterSize f
     * @return a copy with the change
     */
    public InvarianceSettings filterSize(int filterSize) {
        InvarianceSettings copy = copy();
        copy.filterSize = filterSize;
        return copy;
    }

    /**
     * Sets the training batch size.
     *
     * @param batchSize &gt;= 1
     * @return a copy with the change
     */
    public InvarianceSettings batchSize(int batchSize) {
        InvarianceSettings copy = copy();
        copy.batchSize = batchSize;
        return copy;
    }

    /**
     * Sets the peak learning rate of AdamW.
     *
     * @param learningRate &gt; 0
     * @return a copy with the change
     */
    public InvarianceSettings learningRate(float learningRate) {
        InvarianceSettings copy = copy();
        copy.learningRate = learningRate;
        return copy;
    }

    /**
     * Sets the AdamW weight decay.
     *
     * @param weightDecay &gt;= 0
     * @return a copy with the change
     */
    public InvarianceSettings weightDecay(float weightDecay) {
        InvarianceSettings copy = copy();
        copy.weightDecay = weightDecay;
        return copy;
    }

    /**
     * Sets the warm-up length in epochs (may be fractional); NaN = {@code epochs / 15}.
     *
     * @param warmupEpochs &gt;= 0 or NaN
     * @return a copy with the change
     */
    public InvarianceSettings warmupEpochs(double warmupEpochs) {
        InvarianceSettings copy = copy();
        copy.warmupEpochs = warmupEpochs;
        return copy;
    }

    /**
     * Sets the number of experts (default 400, a 20 x 20 map) and their hidden width (default 64).
     *
     * @param experts E
     * @param hiddenSize h
     * @return a copy with the change
     */
    public InvarianceSettings experts(int experts, int hiddenSize) {
        InvarianceSettings copy = copy();
        copy.experts = experts;
        copy.hiddenSize = hiddenSize;
        return copy;
    }

    /**
     * Sets the evaluation batch size (default 500).
     *
     * @param evalBatchSize &gt;= 1
     * @return a copy with the change
     */
    public InvarianceSettings evalBatchSize(int evalBatchSize) {
        InvarianceSettings copy = copy();
        copy.evalBatchSize = evalBatchSize;
        return copy;
    }

    /**
     * Sets how images are normalised before the model (default {@link InputNormalization#PIXEL}).
     *
     * @param inputNormalization the normalisation
     * @return a copy with the change
     */
    public InvarianceSettings inputNormalization(InputNormalization inputNormalization) {
        InvarianceSettings copy = copy();
        copy.inputNormalization = inputNormalization;
        return copy;
    }

    /**
     * Sets which transforms the evaluation applies (default {@link TransformProtocol#PAPER}).
     *
     * @param transforms the protocol
     * @return a copy with the change
     */
    public InvarianceSettings transforms(TransformProtocol transforms) {
        InvarianceSettings copy = copy();
        copy.transforms = transforms;
        return copy;
    }

    /**
     * Sets whether a progress bar is printed per epoch.
     *
     * @param progress true to print
     * @return a copy with the change
     */
    public InvarianceSettings progress(boolean progress) {
        InvarianceSettings copy = copy();
        copy.progress = progress;
        return copy;
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
                    + sigmaMin
                    + " and max "
                    + sigmaMax;
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
            return "--weight-decay must be finite and >= 0, got " + weightDecay;
        }
        if (!Double.isNaN(warmupEpochs) && !(warmupEpochs >= 0 && warmupEpochs <= epochs)) {
            return "--warmup-epochs must be in [0, epochs = " + epochs + "], got " + warmupEpochs;
        }
        if (inputNormalization == null) {
            return "input normalisation must be none, global or pixel";
        }
        if (experts < 1) {
            return "--experts must be >= 1, got " + experts;
        }
        if (hiddenSize < 1) {
            return "--hidden-size must be >= 1, got " + hiddenSize;
        }
        if (filterSize < 1 || evalBatchSize < 1) {
            return "--filter-size and the evaluation batch must be >= 1";
        }
        TopographicMap map = TopographicMap.forExperts(experts);
        int largest = Math.min(map.rows(), map.cols());
        if (filterSize > largest) {
            return String.format(
                    Locale.ROOT,
                    "--filter-size %d does not fit the %d x %d map of the %d experts: allowed"
                            + " [1, %d]",
                    filterSize,
                    map.rows(),
                    map.cols(),
                    experts,
                    largest);
        }
        return null;
    }

    /**
     * Returns the settings that define the run, as saved in each model's {@code config.json} and
     * read back by {@code --resume} (the progress display is not part of it; the warm-up is saved
     * as its effective value).
     *
     * @return the configuration
     */
    public RunConfiguration toConfiguration() {
        return CommandSettings.toConfiguration(COMMAND, warmupEpochs(effectiveWarmupEpochs()));
    }

    /**
     * Rebuilds settings from a saved configuration ({@link #toConfiguration()}).
     *
     * @param configuration the configuration
     * @return the settings, with the progress display on
     * @throws IllegalArgumentException if it is not an invariance configuration of this form
     */
    public static InvarianceSettings fromConfiguration(RunConfiguration configuration) {
        return CommandSettings.fromConfiguration(COMMAND, configuration, InvarianceSettings.class);
    }

    private InvarianceSettings copy() {
        try {
            return (InvarianceSettings) clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Returns the settings as one line for logs and reports.
     *
     * @return a description
     */
    public String describe() {
        return String.format(
                java.util.Locale.ROOT,
                "epochs %d, train images %s, test images %s, batch %d, AdamW lr %g wd %g, warm-up"
                        + " %.3g epochs then cosine, E %d (hidden %d), lambda %g, sigma %g -> %g (p"
                        + " %g), f %d, input %s, transforms %s, seed %d",
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
