package io.github.moge.examples.invariance;

import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.compare.Interval;
import io.github.moge.core.training.DataFingerprint;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.TrainingDivergedException;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.examples.training.ConfigurationValidator;
import io.github.moge.examples.training.DivergenceReport;
import io.github.moge.examples.training.PerInvocation;
import io.github.moge.examples.training.SignalStop;
import io.github.moge.examples.training.TrainingRunOptions;
import io.github.moge.examples.training.UsageException;
import io.github.moge.vision.data.DataException;
import io.github.moge.vision.model.InvarianceModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code moge invariance}: the routing-invariance experiment (paper Section 2.4, Table 1, Fig. 2).
 */
@Command(
        name = "invariance",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Trains a single-layer MoE and a MoGE model (by default 400 experts on a 20 x 20 map,"
                + " top-1, dropless, experts 784 -> 64 -> 784, linear classifier) on Fashion-MNIST"
                + " with the same initialisation and data order, then measures how much their"
                + " routing maps move under the 12 transforms of the paper's Table 1 (mean IMED d,"
                + " s = 1).",
            "Writes invariance.csv, invariance.md, metrics.csv and maps/routing-maps.png to"
                + " --output, and each model's training run (config, per-step metrics, checkpoints)"
                + " to train-moe/ and train-moge/ there; --resume DIR continues an interrupted"
                + " experiment with its saved settings.",
            "The default is a short CPU run: about 5 minutes on 2 cores, longer on a loaded"
                    + " machine (docs/results-invariance.md)."
        },
        footer = {
            "",
            "The paper's full setting (150 epochs on all 60000 training images, 10 warm-up"
                    + " epochs):",
            "  moge invariance --epochs 150 --train-limit 0 --warmup-epochs 10",
            "Warm-up rule when --warmup-epochs is not given: epochs / 15 (the paper's 10 of 150).",
            "Continue an interrupted run (same settings, exact continuation):",
            "  moge invariance --resume runs/invariance"
        })
public final class InvarianceCommand implements Callable<Integer> {

    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--epochs",
            paramLabel = "N",
            description = "Training epochs per model (default: ${DEFAULT-VALUE}; paper: 150).")
    int epochs = InvarianceSettings.DEFAULT_EPOCHS;

    @Option(
            names = "--train-limit",
            paramLabel = "N",
            description =
                    "Use the first N training images; 0 = all 60000 (default: ${DEFAULT-VALUE};"
                            + " paper: 0).")
    int trainLimit = InvarianceSettings.DEFAULT_TRAIN_LIMIT;

    @Option(
            names = "--test-limit",
            paramLabel = "N",
            description = "Use the first N test images; 0 = all 10000 (default: ${DEFAULT-VALUE}).")
    int testLimit = InvarianceSettings.DEFAULT_TEST_LIMIT;

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description =
                    "Directory with the Fashion-MNIST IDX files (t10k-images-idx3-ubyte[.gz] ...)."
                            + " Default: $MOGE_DATA, then /usr/share/datasets/fashion-mnist.")
    Path data;

    @PerInvocation
    @Option(
            names = "--output",
            paramLabel = "DIR",
            description = "Output directory, created if missing (default: ${DEFAULT-VALUE}).")
    Path output = Paths.get("runs", "invariance");

    @PerInvocation
    @Option(
            names = "--force",
            description = "Overwrite result files already in --output (nothing else is deleted).")
    boolean force;

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed = 42;

    @Option(
            names = "--lambda",
            paramLabel = "X",
            description =
                    "Weight of L_gs for MoGE, no extra 0.01 factor (default: ${DEFAULT-VALUE}).")
    float lambda = 4e-3f;

    @Option(
            names = "--sigma-max",
            paramLabel = "X",
            description = "Gaussian width sigma at step 0 (default: ${DEFAULT-VALUE}).")
    float sigmaMax = SigmaSchedule.VISION.max();

    @Option(
            names = "--sigma-min",
            paramLabel = "X",
            description = "Gaussian width sigma at the last step (default: ${DEFAULT-VALUE}).")
    float sigmaMin = SigmaSchedule.VISION.min();

    @Option(
            names = "--sigma-power",
            paramLabel = "P",
            description =
                    "Exponent p of the sigma decay max - (max - min) (t/T)^p, T = all optimizer"
                            + " steps of the run (default: ${DEFAULT-VALUE}).")
    float sigmaPower = SigmaSchedule.VISION.power();

    @Option(
            names = "--experts",
            paramLabel = "E",
            description =
                    "Number of experts, laid out on the squarest map that holds them (default:"
                            + " ${DEFAULT-VALUE} = 20 x 20, as the paper; e.g. 100 = 10 x 10).")
    int experts = InvarianceModel.PAPER_EXPERTS;

    @Option(
            names = "--hidden-size",
            paramLabel = "H",
            description =
                    "Hidden width of every expert 784 -> H -> 784 (default: ${DEFAULT-VALUE}).")
    int hiddenSize = InvarianceModel.PAPER_HIDDEN_SIZE;

    @Option(
            names = "--filter-size",
            paramLabel = "F",
            description = "Gaussian filter size f of the regularizer (default: ${DEFAULT-VALUE}).")
    int filterSize = 3;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Training batch size (default: ${DEFAULT-VALUE}).")
    int batchSize = 200;

    @Option(
            names = "--lr",
            paramLabel = "X",
            description =
                    "Peak AdamW learning rate, linear warm-up then cosine to 0 (default:"
                            + " ${DEFAULT-VALUE}).")
    float learningRate = 1e-3f;

    @Option(
            names = "--weight-decay",
            paramLabel = "X",
            description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay = 0.05f;

    @Option(
            names = "--warmup-epochs",
            paramLabel = "X",
            description = "Warm-up length in epochs, may be fractional (default: epochs / 15).")
    Double warmupEpochs;

    @Option(
            names = "--input-norm",
            paramLabel = "MODE",
            description =
                    "Image normalisation before the router: ${COMPLETION-CANDIDATES} (default:"
                        + " ${DEFAULT-VALUE}, raw pixels as the paper; pixel subtracts the training"
                        + " mean image, global standardises with one mean and std).")
    InputNormalization inputNormalization = InputNormalization.NONE;

    @Option(
            names = "--transforms",
            paramLabel = "MODE",
            description =
                    "Table 1 transforms: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; paper"
                        + " draws the angle, shift and shear of every image within +- the value,"
                        + " whole-pixel shifts, nearest, seeded by --seed; fixed warps every image"
                        + " by exactly the value, bilinear).")
    TransformProtocol transforms = TransformProtocol.PAPER;

    @PerInvocation
    @Option(names = "--no-progress", description = "Do not print progress lines during training.")
    boolean noProgress;

    @Mixin TrainingRunOptions runOptions = new TrainingRunOptions();

    /**
     * Returns the settings the flags describe (without checking paths).
     *
     * @return the settings
     */
    public InvarianceSettings settings() {
        InvarianceSettings s =
                new InvarianceSettings()
                        .epochs(epochs)
                        .trainLimit(trainLimit)
                        .testLimit(testLimit)
                        // Absolute: a resume never re-resolves it from another directory.
                        .dataDir(data != null ? data.toAbsolutePath().normalize() : null)
                        .seed(seed)
                        .lambda(lambda)
                        .sigma(sigmaMax, sigmaMin, sigmaPower)
                        .experts(experts, hiddenSize)
                        .filterSize(filterSize)
                        .batchSize(batchSize)
                        .learningRate(learningRate)
                        .weightDecay(weightDecay)
                        .inputNormalization(inputNormalization)
                        .transforms(transforms)
                        .progress(!noProgress);
        return warmupEpochs != null ? s.warmupEpochs(warmupEpochs) : s;
    }

    /** {@return the output directory} */
    public Path getOutput() {
        return output;
    }

    /**
     * Checks flags and paths, creates the output directory, and returns it.
     *
     * @return the output directory
     * @throws UsageException for any usage problem
     */
    public Path prepareOutput() {
        if (runOptions.isResume()) {
            return prepareResume();
        }
        InvarianceSettings s = settings();
        String problem = s.validate();
        if (problem != null) {
            throw new UsageException(problem);
        }
        ConfigurationValidator validator =
                new ConfigurationValidator()
                        .check(
                                output == null || !output.toString().isEmpty(),
                                "--output \"\" is empty: give a directory for the results")
                        .requireGivenInRange(spec, "--clip-grad-norm", 0, Double.POSITIVE_INFINITY);
        runOptions.validateDevices(validator);
        if (!validator.getProblems().isEmpty()) {
            throw new UsageException(String.join("; ", validator.getProblems()));
        }
        if (data != null) {
            if (!Files.isDirectory(data)) {
                throw new UsageException("--data " + data + ": no such directory");
            }
            if (!Files.isRegularFile(data.resolve("t10k-images-idx3-ubyte.gz"))
                    && !Files.isRegularFile(data.resolve("t10k-images-idx3-ubyte"))) {
                throw new UsageException(
                        "--data "
                                + data
                                + ": no Fashion-MNIST files (t10k-images-idx3-ubyte[.gz])");
            }
        }
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new UsageException("--output " + output + " exists and is not a directory");
        }
        try {
            Files.createDirectories(output.resolve("maps"));
        } catch (IOException | SecurityException e) {
            throw new UsageException(
                    "--output " + output + ": cannot create directory (" + e + ")");
        }
        if (!Files.isWritable(output) || !Files.isWritable(output.resolve("maps"))) {
            throw new UsageException("--output " + output + " is not writable");
        }
        for (boolean moge : new boolean[] {false, true}) {
            Path run = output.resolve(InvarianceExperiment.runName(moge));
            if (Files.exists(run.resolve(RunConfiguration.FILE_NAME))) {
                throw new UsageException(
                        "--output "
                                + output
                                + " already holds a training run ("
                                + run.getFileName()
                                + "): continue it with --resume "
                                + output
                                + " or choose another --output");
            }
        }
        List<String> existing = new ArrayList<>();
        for (String f : InvarianceReport.FILES) {
            if (Files.exists(output.resolve(f))) {
                existing.add(f);
            }
        }
        if (!existing.isEmpty() && !force) {
            throw new UsageException(
                    "--output "
                            + output
                            + " already holds "
                            + String.join(", ", existing)
                            + "; pass --force to overwrite them or choose another --output");
        }
        return output;
    }

    /**
     * Checks a {@code --resume DIR} invocation: no run-defining or conflicting flags, DIR holds
     * this command's training runs, and is writable.
     *
     * @return the run directory
     * @throws UsageException for any usage problem
     */
    private Path prepareResume() {
        boolean outputGiven =
                spec != null
                        && spec.commandLine().getParseResult() != null
                        && spec.commandLine().getParseResult().hasMatchedOption("--output");
        ConfigurationValidator validator = new ConfigurationValidator();
        runOptions.validate(validator, outputGiven, output);
        Path dir = runOptions.getResume();
        validator.check(
                !Files.isDirectory(dir)
                        || Files.exists(
                                dir.resolve(InvarianceExperiment.runName(false))
                                        .resolve(RunConfiguration.FILE_NAME)),
                "--resume "
                        + dir
                        + " holds no invariance training run (no "
                        + InvarianceExperiment.runName(false)
                        + "/"
                        + RunConfiguration.FILE_NAME
                        + "): give the --output directory of an earlier 'moge invariance' run");
        try {
            validator.validate();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage().replace(System.lineSeparator(), "; "));
        }
        return dir;
    }

    /**
     * Returns the settings of this invocation: from the flags, or with {@code --resume} from the
     * saved run configuration.
     *
     * @return the settings
     * @throws IOException if the saved configuration cannot be read
     */
    public InvarianceSettings effectiveSettings() throws IOException {
        if (!runOptions.isResume()) {
            return settings();
        }
        Path moe = runOptions.getResume().resolve(InvarianceExperiment.runName(false));
        return runOptions
                .savedSettings(moe, InvarianceSettings.COMMAND, InvarianceSettings.class)
                .progress(!noProgress);
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Path dir = prepareOutput();
        InvarianceSettings s = effectiveSettings();
        DataFingerprint recorded = null;
        if (runOptions.isResume()) {
            // Before anything is read or trained: each model's data must be what it started with.
            for (boolean moge : new boolean[] {false, true}) {
                Path run = dir.resolve(InvarianceExperiment.runName(moge));
                if (Files.isDirectory(run)) {
                    DataFingerprint checked = TrainingRun.resumeData(run);
                    recorded = recorded != null ? recorded : checked;
                }
            }
        }
        PrintStream log = System.out;
        long start = System.nanoTime();
        List<ModelResult> results;
        try (SignalStop signals =
                runOptions.stopOnSignals("invariance", spec.commandLine().getErr())) {
            try {
                results =
                        new InvarianceExperiment(s, log)
                                .optDevice(runOptions.getPrimaryDevice())
                                .optRunOptions(runOptions::configure)
                                .optRecordedData(recorded)
                                .run(dir, runOptions.isResume());
            } catch (DataException e) {
                throw new UsageException(e.getMessage().replace('\n', ' '));
            } catch (TrainingDivergedException e) {
                return DivergenceReport.print(spec.commandLine().getErr(), "invariance", e, dir);
            } catch (IllegalStateException e) {
                if (!signals.received()) {
                    throw e;
                }
                // The experiment refuses to go on with a stopped model: the stop's checkpoint is
                // written, and --resume continues both models.
                spec.commandLine().getErr().println("invariance: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return signals.exitCode();
            }
            if (signals.received()) {
                return signals.exitCode();
            }
        }
        // originalArgs() of the subcommand's parse result holds the whole command line, subcommand
        // included
        String command =
                "moge " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        List<Interval> differences =
                InvarianceReport.writeAll(dir, results, s.describe(), command.trim());
        double minutes = (System.nanoTime() - start) / 60e9;
        ModelResult moe = results.get(0);
        ModelResult moge = results.get(1);
        log.printf(
                Locale.ROOT,
                "%n%s. Test accuracy MoE %.4f, MoGE %.4f. Experts used MoE %d, MoGE %d. Total %.1f"
                        + " min.%nResults in %s%n",
                InvarianceReport.summary(differences),
                moe.testAccuracy(),
                moge.testAccuracy(),
                moe.activeExperts(),
                moge.activeExperts(),
                minutes,
                dir.toAbsolutePath());
        return 0;
    }
}
