package io.github.moge.examples.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.github.moge.core.metrics.RegularizerPull;
import io.github.moge.core.metrics.SigmaColumn;
import io.github.moge.core.training.DeviceNames;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.StopRequest;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.core.training.TrainingSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options every training command shares, as a picocli mixin ({@code @Mixin TrainingRunOptions
 * run;}): {@code --resume DIR}, checkpoint cadence and retention, gradient clipping and the
 * divergence guard, and the devices ({@code --devices}). The command keeps its own {@code --output}
 * for new runs and creates its model on {@link #getPrimaryDevice()}.
 *
 * <p>A command with {@code --resume DIR} rebuilds its settings from {@link #savedSettings} (the
 * run's {@code config.json}, {@link CommandSettings}) instead of its other flags, builds the same
 * model and data, applies {@link #configure(TrainingRun.Builder, Path)} and calls {@link
 * #start(TrainingRun, Path)}. These options are all {@link PerInvocation}: they may be given with
 * {@code --resume} (an explicit {@code --clip-grad-norm} must equal the saved one, which {@code
 * TrainingRun} checks; without {@code --checkpoint-every} a resumed run keeps the cadence its
 * checkpoints record). On resume, {@link #savedConfiguration(Path)} refuses a {@code config.json}
 * that differs from the newest checkpoint's copy. While a command trains inside {@link
 * #stopOnSignals}, SIGINT/SIGTERM stop its runs with a checkpoint ({@link SignalStop}).
 */
public final class TrainingRunOptions {

    /** The command this mixin belongs to (null when used outside a command line). */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @PerInvocation
    @Option(
            names = "--resume",
            paramLabel = "DIR",
            description =
                    "Continue the run in DIR from its newest intact checkpoint, with its saved"
                            + " settings.")
    Path resume;

    @PerInvocation
    @Option(
            names = "--allow-fallback",
            description =
                    "With --resume: if the newest checkpoint is corrupt, use the previous intact"
                            + " one.")
    boolean allowFallback;

    @PerInvocation
    @Option(
            names = "--checkpoint-every",
            description =
                    "Also checkpoint every N steps (default: after every epoch only; with"
                            + " --resume: the run's).")
    Integer checkpointEvery;

    @PerInvocation
    @Option(
            names = "--keep-checkpoints",
            defaultValue = "3",
            description = "Checkpoints kept (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @PerInvocation
    @Option(
            names = "--clip-grad-norm",
            description =
                    "Clip gradients to this global L2 norm (default: 0, off; with --resume: the"
                            + " run's).")
    Float clipGradNorm;

    @PerInvocation
    @Option(
            names = "--pull-every",
            defaultValue = "10",
            description =
                    "Measure the regularizer's pull on the routers every N steps (metrics.csv"
                            + " columns router_grad_task, router_grad_gs, gs_pull; default:"
                            + " ${DEFAULT-VALUE}; 0: never).")
    int pullEvery;

    @PerInvocation
    @Option(
            names = "--log-every",
            paramLabel = "N",
            description =
                    "A progress line (step of total, loss, rate, ETA) every N steps (default: the"
                            + " command's own; 0: none).")
    Integer logEvery;

    @PerInvocation
    @Option(
            names = "--devices",
            paramLabel = "LIST",
            description =
                    "Train on cpu, gpuN, a list such as gpu0,gpu1 (data parallel: every batch is"
                            + " split across them) or all (every GPU the engine reports). Recorded"
                            + " in config.json; a resume may use other devices (default: the"
                            + " engine's default device).")
    String devices;

    @PerInvocation
    @Option(
            names = "--skip-non-finite",
            description =
                    "Skip updates with a non-finite loss or gradient instead of stopping the run.")
    boolean skipNonFinite;

    /** Set by {@link #stopOnSignals}; every run configured here polls it between steps. */
    private final StopRequest stop = new StopRequest();

    /**
     * Returns the devices to train on: those of {@code --devices}, or the engine's default device.
     *
     * @return the devices, the first holding the model
     * @throws IllegalArgumentException if {@code --devices} names a device the engine does not
     *     report ({@link #validate} refuses it first)
     */
    public Device[] getDevices() {
        Engine engine = Engine.getInstance();
        return devices == null
                ? new Device[] {engine.defaultDevice()}
                : DeviceNames.parse(devices, engine.getDevices());
    }

    /**
     * Returns how many devices {@code --devices} names (1 when absent or not valid: {@link
     * #validate} reports that).
     *
     * @return the number of devices
     */
    public int deviceCount() {
        try {
            return getDevices().length;
        } catch (IllegalArgumentException e) {
            return 1;
        }
    }

    /** {@return the device that holds the model: the first of {@link #getDevices()}} */
    public Device getPrimaryDevice() {
        return getDevices()[0];
    }

    /** {@return whether this invocation resumes a run} */
    public boolean isResume() {
        return resume != null;
    }

    /** {@return the directory given to {@code --resume}, or null} */
    public Path getResume() {
        return resume;
    }

    /**
     * Returns the run directory: the resumed one, or the command's output for a new run.
     *
     * @param output the command's output directory
     * @return the run directory
     */
    public Path runDirectory(Path output) {
        return resume != null ? resume : output;
    }

    /**
     * Returns the configuration saved in the resumed run.
     *
     * @return the configuration
     * @throws IOException if {@code --resume} is not a run directory
     */
    public RunConfiguration savedConfiguration() throws IOException {
        return savedConfiguration(resume);
    }

    /**
     * Returns the configuration saved in a run directory below the resumed one (for commands that
     * train several models, each in its own run directory).
     *
     * @param runDirectory the run directory
     * @return the configuration
     * @throws IOException if it is not a run directory
     */
    public RunConfiguration savedConfiguration(Path runDirectory) throws IOException {
        if (resume == null) {
            throw new IllegalStateException("savedConfiguration() needs --resume");
        }
        // Compared with the newest checkpoint's copy before anything is built from it.
        return TrainingRun.resumeConfiguration(runDirectory);
    }

    /**
     * Returns the settings saved in a run directory of the resumed run ({@link
     * CommandSettings#fromConfiguration}).
     *
     * @param runDirectory the run directory ({@code --resume}, or one below it)
     * @param commandName the command's name, e.g. {@code train-lm}
     * @param type the command's settings type
     * @param <T> the settings type
     * @return the settings
     * @throws IOException if there is no readable {@code config.json}
     * @throws IllegalArgumentException if it does not hold this command's settings, naming the fix
     */
    public <T> T savedSettings(Path runDirectory, String commandName, Class<T> type)
            throws IOException {
        RunConfiguration saved = savedConfiguration(runDirectory);
        try {
            return CommandSettings.fromConfiguration(commandName, saved, type);
        } catch (IllegalArgumentException e) {
            Path file = runDirectory.resolve(RunConfiguration.FILE_NAME);
            throw new IllegalArgumentException(
                    "--resume "
                            + resume
                            + ": "
                            + file
                            + " is not a "
                            + commandName
                            + " run configuration ("
                            + e.getMessage()
                            + "): give the --output"
                            + " directory of an earlier 'moge "
                            + commandName
                            + "' run",
                    e);
        }
    }

    /**
     * Adds this mixin's checks to a command's validator (before any compute); with {@code
     * --resume}, these include the one rule for every command: no run-defining option may be given
     * ({@link CommandSettings#runDefiningOptions}).
     *
     * @param validator the command's validator
     * @param outputGiven whether the command's {@code --output} was given explicitly
     * @param output the command's output directory
     * @return the validator
     */
    public ConfigurationValidator validate(
            ConfigurationValidator validator, boolean outputGiven, Path output) {
        validator.check(
                !outputGiven || resume == null,
                "--output and --resume both given: --resume continues the run in its own directory;"
                        + " drop --output");
        validator.check(
                !allowFallback || resume != null,
                "--allow-fallback applies to --resume only: add"
                        + " --resume DIR or drop --allow-fallback");
        validator.check(
                (checkpointEvery == null || checkpointEvery >= 0)
                        && pullEvery >= 0
                        && (logEvery == null || logEvery >= 0)
                        && keepCheckpoints >= 1
                        && (clipGradNorm == null || clipGradNorm >= 0),
                "--checkpoint-every, --clip-grad-norm, --pull-every and --log-every must be >= 0"
                        + " and --keep-checkpoints >= 1");
        validateDevices(validator);
        if (resume != null) {
            List<String> given =
                    command == null ? List.of() : CommandSettings.givenRunDefiningOptions(command);
            String names = String.join(", ", given);
            validator.check(
                    given.isEmpty(),
                    names
                            + " given with --resume: a resumed run keeps the"
                            + " settings saved in "
                            + resume.resolve(RunConfiguration.FILE_NAME)
                            + "; drop "
                            + names
                            + " (or start a new run with --output)");
            validator.check(
                    Files.isDirectory(resume),
                    "--resume "
                            + resume
                            + " does not exist: give the run"
                            + " directory (the --output) of an earlier run of this command");
        }
        validator.requireWritableOutput(
                resume != null ? "--resume" : "--output", runDirectory(output));
        return validator;
    }

    /**
     * Adds the check of {@code --devices} to a validator (part of {@link #validate}, for a command
     * that checks a new run's options on its own): every device must be one the engine reports.
     *
     * @param validator the command's validator
     * @return the validator
     */
    public ConfigurationValidator validateDevices(ConfigurationValidator validator) {
        if (devices != null) {
            String problem = null;
            try {
                DeviceNames.parse(devices, Engine.getInstance().getDevices());
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
            validator.check(problem == null, "--devices " + devices + ": " + problem);
        }
        return validator;
    }

    /**
     * Applies the checkpoint, clipping and guard options to a run builder. When resuming without an
     * explicit {@code --clip-grad-norm}, the clipping norm is the one saved with the run (a
     * different explicit value makes the resume refuse, naming the key).
     *
     * @param builder the builder
     * @param runDirectory the directory of the run the builder trains (below {@code --resume} for
     *     commands that train several models)
     * @return the builder
     * @throws IOException if the saved configuration cannot be read
     */
    public TrainingRun.Builder configure(TrainingRun.Builder builder, Path runDirectory)
            throws IOException {
        forRun(runDirectory).accept(builder);
        return builder;
    }

    /**
     * Returns {@link #configure} for one run directory as a function of the builder, with the saved
     * configuration already read.
     *
     * @param runDirectory the directory of the run
     * @return the options to apply to the run's builder
     * @throws IOException if the saved configuration cannot be read
     */
    public Consumer<TrainingRun.Builder> forRun(Path runDirectory) throws IOException {
        return forRun(runDirectory, 0f);
    }

    /**
     * Returns {@link #forRun(Path)} with a default clipping norm for a new run without {@code
     * --clip-grad-norm} (e.g. a training recipe's).
     *
     * @param runDirectory the directory of the run
     * @param defaultClip the norm when the flag is absent and the run is new, 0 for none
     * @return the options to apply to the run's builder
     * @throws IOException if the saved configuration cannot be read
     */
    public Consumer<TrainingRun.Builder> forRun(Path runDirectory, float defaultClip)
            throws IOException {
        float clip = clipGradNorm != null ? clipGradNorm : defaultClip;
        if (resume != null && clipGradNorm == null) {
            RunConfiguration saved = RunConfiguration.read(runDirectory);
            if (saved.has(TrainingRun.CLIP_GRAD_NORM_KEY)) {
                clip = saved.getFloat(TrainingRun.CLIP_GRAD_NORM_KEY);
            }
        }
        float clipNorm = clip;
        Device[] chosen = devices == null ? null : getDevices();
        return builder -> {
            if (chosen != null) {
                builder.optDevices(chosen);
            }
            if (logEvery != null) {
                builder.optProgressEvery(logEvery);
            }
            if (checkpointEvery != null) {
                // Unset, a resumed run keeps the cadence its checkpoints record.
                builder.optCheckpointEvery(checkpointEvery);
            }
            builder.optStopRequest(stop)
                    .optKeepCheckpoints(keepCheckpoints)
                    .optClipGradNorm(clipNorm)
                    .optSkipNonFinite(skipNonFinite)
                    .optAllowFallback(allowFallback)
                    .addStepDiagnostic(new RegularizerPull(pullEvery))
                    .addStepDiagnostic(new SigmaColumn());
        };
    }

    /**
     * Turns SIGINT/SIGTERM into a stop of the runs configured by {@link #configure} until the
     * returned handle is closed: the first signal stops after the current step with a checkpoint
     * (the command then returns {@link SignalStop#exitCode()}), a second exits at once.
     *
     * @param commandName the command's name, for the messages
     * @param err where the notices go
     * @return the handlers; close them when the training is over
     */
    public SignalStop stopOnSignals(String commandName, PrintWriter err) {
        return SignalStop.install(commandName, stop, err);
    }

    /**
     * Starts a new run in the command's output directory or resumes {@code --resume}.
     *
     * @param run the run
     * @param output the command's output directory
     * @return the summary
     * @throws IOException if the run directory is taken, missing or unreadable
     */
    public TrainingSummary start(TrainingRun run, Path output) throws IOException {
        return resume != null ? run.resume(resume) : run.run(output);
    }
}
