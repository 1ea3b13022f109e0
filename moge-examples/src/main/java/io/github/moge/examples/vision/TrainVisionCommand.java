package io.github.moge.examples.vision;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.core.training.DataFingerprint;
import io.github.moge.core.training.TrainingDivergedException;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.examples.plot.CurvesFigure;
import io.github.moge.examples.training.ConfigurationValidator;
import io.github.moge.examples.training.DivergenceReport;
import io.github.moge.examples.training.PerInvocation;
import io.github.moge.examples.training.SignalStop;
import io.github.moge.examples.training.TrainingRunOptions;
import io.github.moge.examples.training.WriterOutputStream;
import io.github.moge.vision.data.LocalImageDataset;
import io.github.moge.vision.preset.VisionPreset;
import io.github.moge.vision.train.EpochMetrics;
import io.github.moge.vision.train.SoftTargetCrossEntropyLoss;
import io.github.moge.vision.train.TrainingSettings;
import io.github.moge.vision.train.VisionRecipe;
import io.github.moge.vision.train.VisionTrainer;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code train-vision}: trains a vision preset (ViT / SwinV2 / SwinV1 with MoE or MoGE layers) on
 * Fashion-MNIST, CIFAR-100, Tiny-ImageNet or an ImageNet-style folder, with the paper's
 * augmentations, AdamW with warm-up + cosine decay and optional gradient clipping; prints progress
 * lines and trains through the shared {@code TrainingRun} (checkpoints, exact {@code --resume},
 * divergence guard), and ends with the test Acc@1 / Acc@5.
 *
 * <p>Its length is mostly the command's 28 documented picocli options and their validation before
 * compute.
 */
@Command(
        name = "train-vision",
        mixinStandardHelpOptions = true,
        description = {
            "Trains a vision MoE/MoGE preset and reports test Acc@1/Acc@5 every epoch.",
            "Writes config.json, metrics.csv, epochs.csv and checkpoints/ into --output; --resume"
                    + " DIR continues an interrupted run exactly, with its saved options.",
            "",
            "Presets (see docs/vision-training.md):",
            "${sys:moge.vision.presets}"
        },
        footer = {
            "",
            "Example (Fashion-MNIST, a few minutes on a CPU):",
            "  moge train-vision --preset vit-moge-xs-fmnist --epochs 3 --train-limit 6000 --output"
                    + " runs/fmnist"
        })
public final class TrainVisionCommand implements Callable<Integer> {

    /** The values of {@code --load-form}: V-MoE's load term and the authors' Tutel form. */
    static final List<String> LOAD_FORMS = List.of("vmoe", "tutel");

    static {
        // picocli expands ${sys:...} when it renders --help, after this class is loaded.
        System.setProperty("moge.vision.presets", presetList());
    }

    @Spec CommandSpec spec;

    @Option(
            names = "--preset",
            description = "Model preset name (listed above); required for a new run.")
    String preset;

    @Option(
            names = "--data",
            description = "Dataset directory (default: $MOGE_DATA, then the system directory).")
    Path data;

    @Option(
            names = "--dataset",
            description = "fmnist, cifar100, tiny-imagenet or imagenet (default: the preset's).")
    String dataset;

    @Option(names = "--epochs", description = "Epochs (default: the recipe's, see --print-recipe).")
    Integer epochs;

    @Option(names = "--experts", description = "Experts per MoE layer E (default: the preset's).")
    Integer experts;

    @Option(names = "--top-k", description = "Experts per token k (default: the preset's).")
    Integer topK;

    @Option(
            names = "--moge",
            negatable = true,
            description =
                    "Use the MoGE (--moge) or plain MoE (--no-moge) variant of the preset (default:"
                            + " as named).")
    Boolean moge;

    @Option(
            names = "--lambda",
            description =
                    "Raw lambda of L_gs; the loss weight is 0.01 * lambda (default: the preset's).")
    Float lambda;

    @Option(
            names = "--load-form",
            description =
                    "Load term of the balancing loss: vmoe (V-MoE's, on noisy logits: the paper's"
                            + " citation, the presets') or tutel (the authors' copy of Tutel, on"
                            + " probabilities; far weaker) (default: vmoe).")
    String loadForm;

    @Option(names = "--batch-size", description = "Training batch size (default: the recipe's).")
    Integer batchSize;

    @Option(
            names = "--lr",
            defaultValue = "1e-3",
            description = "Peak AdamW learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(
            names = "--min-lr",
            defaultValue = "1e-5",
            description = "Final learning rate of the cosine decay (default: ${DEFAULT-VALUE}).")
    float minLr;

    @Option(
            names = "--weight-decay",
            defaultValue = "0.05",
            description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(
            names = "--warmup-epochs",
            description = "Linear warm-up epochs (default: the recipe's).")
    Float warmupEpochs;

    @Option(names = "--mixup", description = "Mixup Beta alpha; 0 = off (default: the recipe's).")
    Float mixup;

    @Option(names = "--cutmix", description = "CutMix Beta alpha; 0 = off (default: the recipe's).")
    Float cutmix;

    @Option(
            names = "--label-smoothing",
            description = "Label smoothing epsilon (default: the recipe's).")
    Float labelSmoothing;

    @Option(
            names = "--random-erasing",
            description = "Random erasing probability (default: the recipe's).")
    Float randomErasing;

    @Option(
            names = "--color-jitter",
            description = "Colour jitter strength (default: the recipe's).")
    Float colorJitter;

    @Option(
            names = "--auto-augment",
            paramLabel = "POLICY",
            description =
                    "RandAugment policy as timm spells it, e.g. rand-m9-mstd0.5-inc1, or none"
                            + " (default: the recipe's).")
    String autoAugment;

    @Option(names = "--flip", description = "Horizontal flip probability (default: the recipe's).")
    Float flip;

    @Option(
            names = "--crop-padding",
            description = "Random crop padding in pixels (default: the recipe's).")
    Integer cropPadding;

    @PerInvocation
    @Option(
            names = "--print-recipe",
            description = "Print the training recipe of --preset (and --dataset) and exit.")
    boolean printRecipe;

    @Option(
            names = "--train-limit",
            defaultValue = "0",
            description = "Use a seeded subset of this many training images; 0 = all.")
    long trainLimit;

    @Option(
            names = "--test-limit",
            defaultValue = "0",
            description = "Evaluate on the first N test images; 0 = all.")
    long testLimit;

    @Option(
            names = "--eval-batch-size",
            defaultValue = "0",
            description = "Evaluation batch size (default: the training batch size).")
    int evalBatchSize;

    @PerInvocation
    @Option(
            names = "--output",
            description = "Run directory for a new run (default: runs/<preset>).")
    Path output;

    @PerInvocation
    @Option(names = "--no-progress", description = "Do not print progress lines.")
    boolean noProgress;

    @Mixin TrainingRunOptions runOptions = new TrainingRunOptions();

    @Option(
            names = "--upcycle-from",
            paramLabel = "DIR|FILE",
            description =
                    "Start a new MoE/MoGE run by sparse upcycling: the parameters of a dense model"
                            + " of the same architecture copied, every expert set to its"
                            + " feed-forward, routers fresh. DIR: a finished train-vision run of"
                            + " the dense preset; FILE: a PREFIX-NNNN.params file of the preset's"
                            + " dense counterpart (the -ft presets are the paper's setting).")
    Path upcycleFrom;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description =
                    "Seed of initialisation, shuffling and augmentation (default:"
                            + " ${DEFAULT-VALUE}).")
    long seed;

    /**
     * Returns the preset list shown in {@code --help}, one line per preset.
     *
     * @return the names of {@link VisionPreset#names()} with their summaries
     */
    public static String presetList() {
        StringBuilder sb = new StringBuilder();
        for (VisionPreset p : VisionPreset.all()) {
            sb.append(String.format(Locale.ROOT, "  %-28s %s%n", p.getName(), p.summary()));
        }
        return sb.toString().stripTrailing();
    }

    /**
     * Runs the training: a new run in {@code --output}, or with {@code --resume DIR} the run in DIR
     * with the options saved in its {@code config.json}.
     *
     * @return 0 on success
     * @throws IOException if data or the run directory cannot be read or written
     */
    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        boolean outputGiven = spec.commandLine().getParseResult().hasMatchedOption("--output");
        VisionRunSettings s = settings();
        DataFingerprint recordedData = null;
        if (runOptions.isResume()) {
            runOptions.validate(new ConfigurationValidator(), outputGiven, output).validate();
            s =
                    runOptions.savedSettings(
                            runOptions.getResume(),
                            VisionRunSettings.COMMAND,
                            VisionRunSettings.class);
            // Before anything is built: the data must be the data the run started with.
            recordedData = TrainingRun.resumeData(runOptions.getResume());
        }
        ConfigurationValidator validator =
                new ConfigurationValidator()
                        .check(
                                s.preset() != null,
                                "--preset is required for a new run: choose one listed in --help,"
                                        + " or continue a run with --resume DIR");
        validator.validate();
        String presetName = resolvePresetName(s.preset(), s.moge());
        validator.requireKnown("--preset", presetName, VisionPreset.names()).validate();
        VisionPreset p = VisionPreset.get(presetName);
        Path runDirectory =
                runOptions.runDirectory(output != null ? output : Path.of("runs", p.getName()));
        if (!runOptions.isResume()) {
            runOptions.validate(validator, outputGiven, runDirectory);
        }
        validator.check(
                p.getKind() != VisionPreset.Kind.DENSE || (s.experts() == null && s.topK() == null),
                "--experts/--top-k need an MoE or MoGE preset (or --moge); "
                        + p.getName()
                        + " is dense: drop them");
        if (p.getKind() != VisionPreset.Kind.DENSE) {
            validator.requireTopK(
                    "--top-k",
                    s.topK() != null ? s.topK() : p.getTopK(),
                    "--experts",
                    Math.max(1, s.experts() != null ? s.experts() : p.getExperts()));
        }
        int expertCount = s.experts() != null ? s.experts() : p.getExperts();
        validator.check(
                p.getKind() == VisionPreset.Kind.DENSE || expertCount >= 1,
                "--experts must be >= 1");
        if (p.getKind() == VisionPreset.Kind.MOGE && expertCount >= 1) {
            validator.requireMapFits("--experts", TopographicMap.forExperts(expertCount), 3);
        }
        if (s.loadForm() != null) {
            validator.requireKnown("--load-form", s.loadForm(), LOAD_FORMS);
            validator.check(
                    p.getKind() != VisionPreset.Kind.DENSE,
                    "--load-form needs an MoE or MoGE preset (or --moge); "
                            + p.getName()
                            + " has no router: drop it");
        }
        validator.check(
                s.upcycleFrom() == null || p.getKind() != VisionPreset.Kind.DENSE,
                "--upcycle-from needs an MoE or MoGE preset (or --moge); "
                        + p.getName()
                        + " is dense: train it without --upcycle-from");
        validator.check(
                s.lambda() == null || p.getKind() == VisionPreset.Kind.MOGE,
                "--lambda needs a MoGE preset (or --moge); " + p.getName() + " has no regularizer");
        if (s.data() != null) {
            validator.requireDataPath("--data", s.data());
        }
        requireRanges(validator, s, p);
        if (s.autoAugment() != null) {
            try {
                AugmentationPipeline.builder().optRandAugment(s.autoAugment());
            } catch (IllegalArgumentException e) {
                validator.check(false, "--auto-augment: " + e.getMessage());
            }
        }
        validator.validate();

        VisionRunModel resolved = VisionRunModel.of(s);
        String ds = resolved.dataset();
        VisionRecipe recipe = resolved.recipe();
        float warmup = s.warmupEpochs() != null ? s.warmupEpochs() : recipe.getWarmupEpochs();
        int runEpochs = s.epochs() != null ? s.epochs() : recipe.getEpochs();
        validator
                .check(
                        s.warmupEpochs() == null || warmup <= runEpochs,
                        String.format(
                                Locale.ROOT,
                                "--warmup-epochs %s is larger than the %d epochs of the run:"
                                        + " allowed [0, %d]",
                                s.warmupEpochs(),
                                runEpochs,
                                runEpochs))
                .validate();
        if (printRecipe) {
            out.println(p.getName() + ": " + recipe);
            out.println("flags given on the command line override single values");
            out.flush();
            return 0;
        }
        int epochs = s.epochs() != null ? s.epochs() : recipe.getEpochs();
        int batchSize = s.batchSize() != null ? s.batchSize() : recipe.getBatchSize();
        LocalImageDataset train =
                resolved.openData(
                        dataLocation(recordedData, "train", s.data()), Dataset.Usage.TRAIN);
        LocalImageDataset test =
                resolved.openData(dataLocation(recordedData, "test", s.data()), Dataset.Usage.TEST);
        DataFingerprint data = recordedData != null ? recordedData : fingerprint(train, test);
        if (train.getNumClasses() != p.getClasses()) {
            throw new IllegalArgumentException(
                    "preset "
                            + p.getName()
                            + " has "
                            + p.getClasses()
                            + " classes but "
                            + ds
                            + " has "
                            + train.getNumClasses());
        }
        Shape image = train.getImageShape();
        if (image.get(0) != p.getChannels()) {
            throw new IllegalArgumentException(
                    "preset "
                            + p.getName()
                            + " expects "
                            + p.getChannels()
                            + " channels, "
                            + ds
                            + " images have "
                            + image.get(0));
        }
        float smoothing =
                s.labelSmoothing() != null ? s.labelSmoothing() : recipe.getLabelSmoothing();
        float mix = s.mixup() != null ? s.mixup() : recipe.getMixup();
        float cut = s.cutmix() != null ? s.cutmix() : recipe.getCutmix();
        int crop = s.cropPadding() != null ? s.cropPadding() : recipe.getCropPadding();
        AugmentationPipeline aug =
                AugmentationPipeline.builder()
                        .optPadTo(resolved.padTo(image))
                        .optRandomCrop(crop)
                        .optFlip(s.flip() != null ? s.flip() : recipe.getFlip())
                        .optColorJitter(
                                s.colorJitter() != null ? s.colorJitter() : recipe.getColorJitter())
                        .optRandAugment(
                                s.autoAugment() != null ? s.autoAugment() : recipe.getAutoAugment())
                        .optNormalize(recipe.getMean(), recipe.getStd())
                        .optRandomErasing(
                                s.randomErasing() != null
                                        ? s.randomErasing()
                                        : recipe.getRandomErasing())
                        .optMixupCutmix(mix, cut)
                        .optLabelSmoothing(smoothing)
                        .optNumClasses(p.getClasses())
                        .optSeed(s.seed())
                        .build();
        TrainingSettings.Builder sb =
                TrainingSettings.builder()
                        .setEpochs(epochs)
                        .optBatchSize(batchSize)
                        .optLearningRate(s.learningRate())
                        .optMinLearningRate(s.minLearningRate())
                        .optWeightDecay(s.weightDecay())
                        .optWarmupEpochs(
                                s.warmupEpochs() != null
                                        ? s.warmupEpochs()
                                        : recipe.getWarmupEpochs())
                        .optLabelSmoothing(aug.producesSoftTargets() ? 0f : smoothing)
                        .optTrainLimit(s.trainLimit())
                        .optTestLimit(s.testLimit())
                        .optSeed(s.seed())
                        .optProgress(!noProgress);
        if (s.evalBatchSize() > 0) {
            sb.optEvalBatchSize(s.evalBatchSize());
        }
        TrainingSettings settings = sb.build();
        int totalSteps = epochs * VisionTrainer.stepsPerEpoch(train.size(), settings);
        VisionPreset.Overrides overrides = resolved.overrides();
        MoeLoss loss =
                p.newLoss(
                        new SoftTargetCrossEntropyLoss("ce", settings.getLabelSmoothing()),
                        overrides);
        out.printf(
                Locale.ROOT,
                "train-vision: %s on %s (%d train%s / %d test images), %d epoch%s, %d steps%n",
                p.getName(),
                ds,
                train.size(),
                s.trainLimit() > 0 ? ", limit " + s.trainLimit() : "",
                test.size(),
                epochs,
                epochs == 1 ? "" : "s",
                totalSteps);
        out.flush();
        // Only a new run reads the dense model; a resumed one has its parameters in the checkpoint.
        UpcycleSource upcycle =
                !runOptions.isResume() && s.upcycleFrom() != null
                        ? UpcycleSource.open(
                                s.upcycleFrom(), p, overrides, runOptions.getPrimaryDevice())
                        : null;
        VisionTrainer trainer =
                VisionTrainer.builder()
                        .setBlock(p.newModel(totalSteps, overrides))
                        .setLoss(loss)
                        .setData(train, test)
                        .setAugmentation(aug)
                        .setInputShape(p.inputShape(1).slice(1))
                        .setSettings(settings)
                        .optConfiguration(s.toConfiguration())
                        .optDevice(runOptions.getPrimaryDevice())
                        .optRunOptions(
                                runOptions
                                        .forRun(runDirectory, recipe.getClipGradNorm())
                                        .andThen(b -> b.optDataFingerprint(data))
                                        .andThen(
                                                b -> {
                                                    if (upcycle != null) {
                                                        b.optInitialParameters(
                                                                upcycle.upcycler(out));
                                                    }
                                                }))
                        .optLog(
                                new PrintStream(
                                        new WriterOutputStream(out), true, StandardCharsets.UTF_8))
                        .build();
        List<EpochMetrics> history;
        try (SignalStop signals =
                runOptions.stopOnSignals("train-vision", spec.commandLine().getErr())) {
            history =
                    runOptions.isResume()
                            ? trainer.resume(runDirectory)
                            : trainer.run(runDirectory);
            CurvesFigure.writeFor(runDirectory, out::println);
            if (signals.received()) {
                out.flush();
                return signals.exitCode();
            }
        } catch (TrainingDivergedException e) {
            out.flush();
            return DivergenceReport.print(
                    spec.commandLine().getErr(), "train-vision", e, runDirectory);
        } finally {
            if (upcycle != null) {
                upcycle.close();
            }
        }
        if (trainer.getSummary().isCompleted() && !history.isEmpty()) {
            EpochMetrics last = history.get(history.size() - 1);
            out.printf(
                    Locale.ROOT,
                    "final: Acc@1 %.2f%%  Acc@5 %.2f%%  (%s)%n",
                    100 * last.getAcc1(),
                    100 * last.getAcc5(),
                    runDirectory);
        }
        out.flush();
        return 0;
    }

    /**
     * Checks every numeric option against its allowed range, so that no builder deeper down refuses
     * a value under an internal name (or accepts one it cannot train with).
     */
    private void requireRanges(ConfigurationValidator v, VisionRunSettings s, VisionPreset p) {
        double inf = Double.POSITIVE_INFINITY;
        v.check(
                output == null || !output.toString().isEmpty(),
                "--output \"\" is empty: give a run directory, e.g. --output runs/" + p.getName());
        v.requireInRange("--epochs", s.epochs(), 1, inf)
                .requireInRange("--batch-size", s.batchSize(), 1, inf)
                .requireInRange("--lr", s.learningRate(), 0, true, inf)
                .requireInRange("--min-lr", s.minLearningRate(), 0, inf)
                .requireInRange("--weight-decay", s.weightDecay(), 0, inf)
                .requireInRange("--lambda", s.lambda(), 0, inf)
                .requireInRange("--warmup-epochs", s.warmupEpochs(), 0, inf)
                .requireInRange("--mixup", s.mixup(), 0, inf)
                .requireInRange("--cutmix", s.cutmix(), 0, inf)
                .requireInRange("--label-smoothing", s.labelSmoothing(), 0, 1)
                .requireInRange("--random-erasing", s.randomErasing(), 0, 1)
                .requireInRange("--color-jitter", s.colorJitter(), 0, inf)
                .requireInRange("--flip", s.flip(), 0, 1)
                .requireInRange("--crop-padding", s.cropPadding(), 0, p.getImageSize() - 1)
                .requireInRange("--train-limit", s.trainLimit(), 0, inf)
                .requireInRange("--test-limit", s.testLimit(), 0, inf)
                .requireInRange("--eval-batch-size", s.evalBatchSize(), 0, inf)
                .requireGivenInRange(spec, "--clip-grad-norm", 0, inf);
        if (Float.isFinite(s.learningRate()) && Float.isFinite(s.minLearningRate())) {
            v.check(
                    s.minLearningRate() < s.learningRate(),
                    String.format(
                            Locale.ROOT,
                            "--min-lr %s is not smaller than --lr %s: allowed [0, --lr)",
                            s.minLearningRate(),
                            s.learningRate()));
        }
    }

    /**
     * Returns the run-defining options of this invocation as given (null: the preset's or
     * recipe's).
     *
     * @return the settings
     */
    VisionRunSettings settings() {
        return new VisionRunSettings(
                preset,
                // Absolute: a resume never re-resolves it from another working directory.
                data != null ? data.toAbsolutePath().normalize() : null,
                dataset,
                epochs,
                experts,
                topK,
                moge,
                lambda,
                loadForm,
                batchSize,
                lr,
                minLr,
                weightDecay,
                warmupEpochs,
                mixup,
                cutmix,
                labelSmoothing,
                randomErasing,
                colorJitter,
                autoAugment,
                flip,
                cropPadding,
                trainLimit,
                testLimit,
                evalBatchSize,
                seed,
                upcycleFrom != null ? upcycleFrom.toAbsolutePath().normalize() : null);
    }

    /**
     * Applies {@code --moge/--no-moge} to a preset name: {@code vit-moe-s-cifar100} with {@code
     * --moge} becomes {@code vit-moge-s-cifar100}, and the reverse; a dense name gains the suffix.
     *
     * @param name the preset name given
     * @param moge the flag, or null to keep the name
     * @return the name to look up
     */
    static String resolvePresetName(String name, Boolean moge) {
        if (moge == null) {
            return name;
        }
        int dash = name.indexOf('-');
        if (dash < 0) {
            return name;
        }
        String family = name.substring(0, dash);
        String rest = name.substring(dash + 1);
        if (rest.startsWith("moge-")) {
            rest = rest.substring(5);
        } else if (rest.startsWith("moe-")) {
            rest = rest.substring(4);
        }
        return family + (moge ? "-moge-" : "-moe-") + rest;
    }

    /**
     * Returns where a split is opened from: on resume the directory the run recorded when it
     * started (so neither a relative --data nor a search is resolved again), else {@code --data}.
     */
    static Path dataLocation(DataFingerprint recorded, String split, Path data) {
        Path location = recorded != null ? recorded.getLocation(split) : null;
        return location != null ? location : data;
    }

    /** Fingerprints the files both splits read; null when they came from no directory. */
    private static DataFingerprint fingerprint(LocalImageDataset train, LocalImageDataset test)
            throws IOException {
        Map<String, Path> locations = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        for (LocalImageDataset split : List.of(train, test)) {
            if (split.getDataLocation() == null) {
                return null; // a download: no files of the user's to compare
            }
            locations.put(split == train ? "train" : "test", split.getDataLocation());
            files.addAll(split.getDataFiles());
        }
        return DataFingerprint.of(locations, files);
    }

    /**
     * Returns the values of {@code --experts}, {@code --top-k}, {@code --lambda} and {@code
     * --load-form} as the preset's overrides; everything else of the model and loss is the
     * preset's.
     *
     * @throws IllegalArgumentException if a dense preset is given an E or k of its own
     */
    static VisionPreset.Overrides overrides(
            VisionPreset p, Integer experts, Integer topK, Float lambda, String loadForm) {
        boolean moe =
                (experts != null && experts != p.getExperts())
                        || (topK != null && topK != p.getTopK());
        if (moe && p.getKind() == VisionPreset.Kind.DENSE) {
            throw new IllegalArgumentException(
                    "--experts/--top-k need an MoE or MoGE preset; " + p.getName() + " is dense");
        }
        VisionPreset.Overrides o =
                VisionPreset.Overrides.of(moe ? experts : null, moe ? topK : null, lambda);
        if (loadForm == null) {
            return o;
        }
        return o.withLoadForm(
                loadForm.equals("tutel")
                        ? ImportanceLoadLoss.LoadForm.TUTEL
                        : ImportanceLoadLoss.LoadForm.V_MOE);
    }
}
