package io.github.moge.core.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.AbstractCompositeLoss;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.github.moge.core.training.checkpoint.Checkpoint;
import io.github.moge.core.training.checkpoint.CorruptCheckpointException;
import io.github.moge.core.training.checkpoint.TrainingState;
import io.github.moge.core.training.data.BatchSource;
import io.github.moge.core.training.data.RunSeeds;
import io.github.moge.core.training.log.RunLog;
import io.github.moge.core.training.optim.StatefulOptimizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The training loop every command shares: checkpointed, exactly resumable, guarded against
 * divergence, with per-step native memory scopes.
 *
 * <pre>{@code
 * TrainingRun run = TrainingRun.builder()
 *         .setModel(model)                          // block set, not yet initialized
 *         .setLoss(loss)                            // a composite loss's components are logged
 *         .setOptimizer(StatefulAdamW.builder()
 *                 .optLearningRateTracker(lr).optWeightDecays(0.05f).build())
 *         .setTrainingData(ShuffledBatches.builder().setDataset(train).setBatchSize(200).build())
 *         .setInputShapes(new Shape(200, 784))
 *         .setEpochs(150).setSeed(42)
 *         .addListener(schedule)                    // a StatefulListener: checkpointed
 *         .optValidationData(testBatches).addEvaluator(new Accuracy())
 *         .optConfiguration(RunConfiguration.of(settings))
 *         .optCheckpointEvery(500).optClipGradNorm(1f)
 *         .build();
 * TrainingSummary summary = resumeDir == null ? run.run(outputDir) : run.resume(resumeDir);
 * }</pre>
 *
 * <p>A step (in {@code TrainingLoop}): reseed the engine with {@link RunSeeds#stepSeed}(seed,
 * step); fetch batch (epoch, index) from the {@link BatchSource} into a manager that is closed
 * after the step; run the {@link TrainingStep}'s forward pass and backward; measure the {@link
 * StepDiagnostic}s; compute the global gradient norm; stop (or skip, if enabled) on a non-finite
 * loss or norm; clip by global norm; step the optimizer; notify listeners (which advances e.g. a
 * schedule listener); append a row to {@code metrics.csv}. Epochs end with validation, a row in
 * {@code epochs.csv} and a checkpoint.
 *
 * <p>Run directory: {@code config.json}, {@code metrics.csv}, {@code epochs.csv}, {@code
 * checkpoints/}, {@code .lock}. {@link #run(Path)} refuses a directory that already holds a run or
 * run logs; {@link #resume(Path)} continues one from its newest intact checkpoint, refusing a
 * {@code config.json} that differs from the checkpoint's copy and logs that no checkpoint explains.
 * Both hold the directory's lock while they run and refuse a directory another process holds. A run
 * object is used once.
 *
 * <p>Add listeners that keep no per-batch metrics of their own: DJL's {@code
 * EvaluatorTrainingListener} and logging listeners expect DJL's own loop. Evaluators are computed
 * by this loop per batch.
 *
 * <p>This file is long because of the {@link Builder}: one documented setter per setting. The run
 * itself only starts or resumes; the loop and its parts are package-private classes beside it.
 */
public final class TrainingRun {

    /**
     * The directory of a finished run that holds its final parameters in DJL's model format, {@code
     * model/model-0000.params}, and a copy of its {@code config.json}: build the block as the run
     * did, then {@code model.load(runDirectory.resolve(MODEL_DIRECTORY), MODEL_PREFIX)}.
     */
    public static final String MODEL_DIRECTORY = "model";

    /** The name prefix of the parameter file in {@link #MODEL_DIRECTORY}. */
    public static final String MODEL_PREFIX = "model";

    /** The parameter file in {@link #MODEL_DIRECTORY}: {@code model-0000.params}. */
    public static final String MODEL_FILE = ParameterFiles.fileName(MODEL_PREFIX);

    /** The key under which the run records its gradient clipping norm in {@code config.json}. */
    public static final String CLIP_GRAD_NORM_KEY = "clip_grad_norm";

    /**
     * The key under which the run records the devices it started on in {@code config.json} ({@link
     * DeviceNames#format}); not compared on resume.
     */
    public static final String DEVICES_KEY = "devices";

    private final RunSpec spec;
    private volatile boolean stopRequested;
    private boolean used;

    private TrainingRun(RunSpec spec) {
        this.spec = spec;
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
     * Asks the loop to stop after the current step, write a checkpoint and return (thread-safe).
     */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Starts a new run in {@code runDirectory}, which is created; a directory that already holds a
     * run ({@code config.json} or {@code checkpoints/}) is refused, never overwritten.
     *
     * @param runDirectory where the configuration, metrics and checkpoints go
     * @return the summary
     * @throws IOException if the directory is taken or writing fails
     */
    public TrainingSummary run(Path runDirectory) throws IOException {
        claim();
        try (RunDirectory.Lock lock =
                RunDirectory.create(runDirectory, spec.configuration, spec.data)) {
            RunLog log = newLog();
            CheckpointSchedule checkpoints = newCheckpoints(runDirectory, log);
            log.starting(runDirectory, spec.seed);
            return fromStart(runDirectory, log, checkpoints);
        }
    }

    /**
     * Reads the configuration of a run directory for a resume, after comparing it with the copy in
     * the newest checkpoint: a command calls this before it builds a model or data from the
     * settings, so that an edited {@code config.json} is refused before anything is built.
     *
     * @param runDirectory the run directory
     * @return its {@code config.json}
     * @throws IOException if there is no readable {@code config.json}
     * @throws IllegalArgumentException if it differs from the newest checkpoint's copy, naming each
     *     differing key with both values
     */
    public static RunConfiguration resumeConfiguration(Path runDirectory) throws IOException {
        return RunDirectory.checkedConfiguration(runDirectory);
    }

    /**
     * Checks the data of a run directory for a resume: fingerprints the files the run recorded when
     * it started ({@link DataFingerprint}, {@code data.json}) again and refuses any difference. A
     * command calls this before it opens or builds anything, and opens the data from the returned
     * fingerprint's locations (absolute: a relative {@code --data} is never re-resolved).
     *
     * @param runDirectory the run directory
     * @return the fingerprint of the data as it is now (equal to the recorded one), or null if the
     *     run recorded none (started by an older version)
     * @throws IOException if {@code data.json} or a data file cannot be read
     * @throws IllegalArgumentException if the data differs, naming each differing file with both
     *     values
     */
    public static DataFingerprint resumeData(Path runDirectory) throws IOException {
        DataFingerprint recorded = DataFingerprint.read(runDirectory);
        if (recorded == null) {
            return null;
        }
        DataFingerprint now = recorded.recompute();
        recorded.requireSame(now, runDirectory);
        return now;
    }

    /**
     * Continues the run in {@code runDirectory} from its newest intact checkpoint (or from the
     * start if it has none yet). The configuration given to the builder must equal the saved one; a
     * command should build its settings from {@link RunConfiguration#read(Path)}.
     *
     * @param runDirectory the run directory
     * @return the summary
     * @throws CorruptCheckpointException if the newest checkpoint is corrupt and fallback is off
     * @throws IOException if the directory is not a run or cannot be read
     */
    public TrainingSummary resume(Path runDirectory) throws IOException {
        claim();
        RunConfiguration saved = RunConfiguration.read(runDirectory);
        recordStartDevices(saved);
        List<String> differences = saved.differences(spec.configuration);
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(
                    "the run configuration differs from "
                            + runDirectory.resolve(RunConfiguration.FILE_NAME)
                            + " ("
                            + String.join("; ", differences)
                            + "): resume with the saved settings"
                            + " (pass only --resume) or start a new run");
        }
        try (RunDirectory.Lock lock = RunDirectory.lock(runDirectory)) {
            DataFingerprint recorded = DataFingerprint.read(runDirectory);
            if (recorded != null && spec.data != null) {
                recorded.requireSame(spec.data, runDirectory);
            }
            RunLog log = newLog();
            CheckpointSchedule checkpoints = newCheckpoints(runDirectory, log);
            Checkpoint checkpoint = checkpoints.resumePoint().orElse(null);
            if (checkpoint == null) {
                RunDirectory.requireNoUnexplainedLogs(runDirectory);
                log.noCheckpoint(runDirectory);
                return fromStart(runDirectory, log, checkpoints);
            }
            RunDirectory.requireSameConfiguration(
                    runDirectory,
                    saved,
                    RunDirectory.store(runDirectory, 1).readConfiguration(checkpoint),
                    checkpoint.getDirectory());
            TrainingState written = checkpoint.getState();
            int batches = spec.trainingData.batchesPerEpoch();
            if (written.getSeed() != spec.seed
                    || written.getEpochs() != spec.epochs
                    || written.getBatchesPerEpoch() != batches) {
                throw new IllegalArgumentException(
                        String.format(
                                Locale.ROOT,
                                "checkpoint %s was written by a run with seed %d, %d epochs of %d"
                                    + " batches, but this run has seed %d, %d epochs of %d batches:"
                                    + " resume with the saved settings and data",
                                checkpoint,
                                written.getSeed(),
                                written.getEpochs(),
                                written.getBatchesPerEpoch(),
                                spec.seed,
                                spec.epochs,
                                batches));
            }
            // Shapes first: DJL's load takes arrays of any shape (a vocabulary of another size).
            Map<String, Shape> shapes =
                    ParameterShapes.of(spec.model, spec.devices[0], spec.inputShapes);
            checkpoints.restoreModel(checkpoint);
            ParameterShapes.requireSame(shapes, spec.model, checkpoint.getDirectory());
            // A copy: the loop advances its state, and the checkpoint's must keep the step it was
            // written at
            // (a stop request compares them to decide whether a checkpoint is needed).
            TrainingState state = written.copy();
            if (state.isCompleted()) {
                log.complete(runDirectory, state.getStep());
            } else {
                log.resuming(
                        runDirectory,
                        checkpoint.getDirectory(),
                        state.getStep(),
                        state.getEpoch(),
                        state.getBatchInEpoch());
            }
            return new TrainingLoop(spec, log, checkpoints, this::stopRequested)
                    .train(runDirectory, state, checkpoint);
        }
    }

    private TrainingSummary fromStart(Path runDirectory, RunLog log, CheckpointSchedule checkpoints)
            throws IOException {
        TrainingState state =
                TrainingState.start(spec.seed, spec.epochs, spec.trainingData.batchesPerEpoch());
        Engine.getInstance().setRandomSeed(RunSeeds.stepSeed(spec.seed, -1));
        return new TrainingLoop(spec, log, checkpoints, this::stopRequested)
                .train(runDirectory, state, null);
    }

    private boolean stopRequested() {
        return stopRequested || (spec.stopRequest != null && spec.stopRequest.isRequested());
    }

    /**
     * Keeps the devices the run started on in the configuration this invocation compares and writes
     * into checkpoints: the devices do not define a run, so a resume may use others, and says so. A
     * run recorded before devices were recorded keeps no such key.
     */
    private void recordStartDevices(RunConfiguration saved) {
        String now = spec.configuration.getString(DEVICES_KEY);
        String started = saved.has(DEVICES_KEY) ? saved.getString(DEVICES_KEY) : null;
        spec.configuration =
                started == null
                        ? spec.configuration.without(DEVICES_KEY)
                        : spec.configuration.with(Map.of(DEVICES_KEY, started));
        if (started != null && !started.equals(now)) {
            spec.log.printf(
                    Locale.ROOT,
                    "Resuming on %s; the run started on %s (devices do not define a run: the"
                            + " numerics may differ slightly)%n",
                    now,
                    started);
        }
    }

    private void claim() {
        if (used) {
            throw new IllegalStateException("a TrainingRun runs once; build a new one");
        }
        used = true;
    }

    private RunLog newLog() {
        List<String> components = spec.components.stream().map(Loss::getName).toList();
        List<String> evaluators = spec.evaluators.stream().map(Evaluator::getName).toList();
        RunLog.Columns columns =
                new RunLog.Columns(
                        components, evaluators, spec.diagnosticNames(), spec.evaluationNames());
        return new RunLog(
                spec.log,
                columns,
                spec.epochs,
                spec.trainingData.batchesPerEpoch(),
                spec.progressEvery);
    }

    private CheckpointSchedule newCheckpoints(Path runDirectory, RunLog log) {
        return new CheckpointSchedule(
                spec, RunDirectory.store(runDirectory, spec.keepCheckpoints), log);
    }

    /** Builds a {@link TrainingRun}. */
    public static final class Builder {

        private final RunSpec spec = new RunSpec();

        Builder() {}

        /**
         * Adds a measurement taken inside every step between backward and the update, written as
         * extra columns of {@code metrics.csv}.
         *
         * @param diagnostic the measurement; it must not change the trajectory
         * @return this builder
         */
        public Builder addStepDiagnostic(StepDiagnostic diagnostic) {
            spec.diagnostics.add(diagnostic);
            return this;
        }

        /**
         * Adds measurements made after every epoch (after validation), recorded in {@code
         * epochs.csv}.
         *
         * @param evaluation the measurement
         * @return this builder
         */
        public Builder addEpochEvaluation(EpochEvaluation evaluation) {
            spec.epochEvaluations.add(evaluation);
            return this;
        }

        /**
         * Sets the model; its block must be set. On resume its parameters are loaded from the
         * checkpoint.
         *
         * @param model the model
         * @return this builder
         */
        public Builder setModel(Model model) {
            spec.model = model;
            return this;
        }

        /**
         * Sets the training loss; the components of an {@link AbstractCompositeLoss} are logged per
         * step.
         *
         * @param loss the loss
         * @return this builder
         */
        public Builder setLoss(Loss loss) {
            spec.loss = loss;
            return this;
        }

        /**
         * Sets the optimizer, whose state goes into checkpoints.
         *
         * @param optimizer e.g. {@code StatefulAdamW}
         * @return this builder
         */
        public Builder setOptimizer(StatefulOptimizer optimizer) {
            spec.optimizer = optimizer;
            return this;
        }

        /**
         * Sets the training batches.
         *
         * @param trainingData the batches of every epoch
         * @return this builder
         */
        public Builder setTrainingData(BatchSource trainingData) {
            spec.trainingData = trainingData;
            return this;
        }

        /**
         * Sets validation batches, evaluated (loss and evaluators) after every epoch.
         *
         * @param validationData the validation batches (usually unshuffled)
         * @return this builder
         */
        public Builder optValidationData(BatchSource validationData) {
            spec.validationData = validationData;
            return this;
        }

        /**
         * Adds an evaluator computed on every training and validation batch.
         *
         * @param evaluator e.g. Accuracy
         * @return this builder
         */
        public Builder addEvaluator(Evaluator evaluator) {
            spec.evaluators.add(evaluator);
            return this;
        }

        /**
         * Adds a DJL training listener; the state of a {@link StatefulListener} (e.g. a schedule's
         * position) is checkpointed and restored on resume.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder addListener(TrainingListener listener) {
            spec.listeners.add(listener);
            return this;
        }

        /**
         * Adds an observer of every step's metrics.
         *
         * @param listener the observer
         * @return this builder
         */
        public Builder addStepListener(StepListener listener) {
            spec.stepListeners.add(listener);
            return this;
        }

        /**
         * Replaces the per-batch forward pass (default {@link TrainingStep#STANDARD}).
         *
         * @param step the step
         * @return this builder
         */
        public Builder optTrainingStep(TrainingStep step) {
            spec.trainingStep = step;
            return this;
        }

        /**
         * Sets the input shapes the model is initialized with.
         *
         * @param shapes the shapes of one batch's data
         * @return this builder
         */
        public Builder setInputShapes(Shape... shapes) {
            spec.inputShapes = shapes;
            return this;
        }

        /**
         * Sets the number of epochs.
         *
         * @param epochs at least 1
         * @return this builder
         */
        public Builder setEpochs(int epochs) {
            spec.epochs = epochs;
            return this;
        }

        /**
         * Sets the run seed: initialization, per-step randomness and data order derive from it.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder setSeed(long seed) {
            spec.seed = seed;
            spec.seedSet = true;
            return this;
        }

        /**
         * Sets the device (default: the engine's default device).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            return optDevices(device);
        }

        /**
         * Sets the devices to train on (default: the engine's default device). With several, every
         * batch is split across them, data parallel ({@code DataParallel}); the model must live on
         * the first. The devices are recorded in {@code config.json} under {@link #DEVICES_KEY} but
         * do not define the run: a resume may use others.
         *
         * @param devices the devices, distinct
         * @return this builder
         */
        public Builder optDevices(Device... devices) {
            spec.devices = devices.clone();
            return this;
        }

        /**
         * Sets how many replicas a batch is split into (default: one per device). More replicas
         * than devices run in turn on the devices: the same splitting and reduction as data
         * parallel, which is how it is tested on a machine with one device.
         *
         * @param replicas the number of replicas, at least the number of devices
         * @return this builder
         */
        Builder optReplicas(int replicas) {
            spec.replicas = replicas;
            return this;
        }

        /**
         * Sets the run configuration saved as {@code config.json} and compared on resume.
         *
         * @param configuration the settings that define the run
         * @return this builder
         */
        public Builder optConfiguration(RunConfiguration configuration) {
            spec.configuration = configuration;
            return this;
        }

        /**
         * Writes a checkpoint every {@code steps} steps as well as after every epoch (default 0:
         * epochs only). Checkpoints record the cadence: a resume without this setting keeps the
         * cadence of the checkpoint it resumes from, so the run checkpoints at the same steps as an
         * uninterrupted one.
         *
         * @param steps &gt;= 0
         * @return this builder
         */
        public Builder optCheckpointEvery(int steps) {
            spec.checkpointEvery = steps;
            spec.checkpointEverySet = true;
            return this;
        }

        /**
         * Sets a stop request the loop polls between steps (default none): once it is requested,
         * the run stops after the current step with a checkpoint, as {@link
         * TrainingRun#requestStop()} does, so that {@code --resume} continues it exactly.
         *
         * @param request the request, e.g. set by a command's signal handler
         * @return this builder
         */
        public Builder optStopRequest(StopRequest request) {
            spec.stopRequest = request;
            return this;
        }

        /**
         * Sets how many of the newest checkpoints are kept (default 3).
         *
         * @param keep at least 1
         * @return this builder
         */
        public Builder optKeepCheckpoints(int keep) {
            spec.keepCheckpoints = keep;
            return this;
        }

        /**
         * Clips gradients to a global L2 norm between backward and the update (default 0: off), as
         * torch.nn.utils.clip_grad_norm_ does: g *= max / (norm + 1e-6) when norm &gt; max.
         *
         * @param maxNorm the largest global norm, 0 for no clipping
         * @return this builder
         */
        public Builder optClipGradNorm(float maxNorm) {
            spec.clipGradNorm = maxNorm;
            return this;
        }

        /**
         * Skips the update of a step with a non-finite loss or gradient instead of stopping
         * (default off); more than 10 such steps in a row stop the run.
         *
         * @param skip whether to skip and continue
         * @return this builder
         */
        public Builder optSkipNonFinite(boolean skip) {
            spec.skipNonFinite = skip;
            return this;
        }

        /**
         * On resume, falls back to the previous checkpoint when the newest is corrupt (default off:
         * refuse).
         *
         * @param allowFallback whether to fall back
         * @return this builder
         */
        public Builder optAllowFallback(boolean allowFallback) {
            spec.allowFallback = allowFallback;
            return this;
        }

        /**
         * Sets the fingerprint of the data the run trains on: a new run records it ({@code
         * data.json}), a resume refuses data that differs from the recorded one, naming the files
         * (see {@link TrainingRun#resumeData(Path)}, which checks before anything is built).
         *
         * @param data the fingerprint, or null to record nothing
         * @return this builder
         */
        public Builder optDataFingerprint(DataFingerprint data) {
            spec.data = data;
            return this;
        }

        /**
         * Sets where progress goes (default System.out).
         *
         * @param log the stream
         * @return this builder
         */
        public Builder optLog(PrintStream log) {
            spec.log = log;
            return this;
        }

        /**
         * Prints a progress line every {@code steps} steps (default 50; 0 prints epoch summaries
         * only).
         *
         * @param steps &gt;= 0
         * @return this builder
         */
        public Builder optProgressEvery(int steps) {
            spec.progressEvery = steps;
            return this;
        }

        /**
         * Sets the loss components logged per step (default: the components of an {@link
         * AbstractCompositeLoss}, none for another loss).
         *
         * @param components the component losses
         * @return this builder
         */
        public Builder optLossComponents(List<Loss> components) {
            spec.components = List.copyOf(components);
            return this;
        }

        /**
         * Sets an initializer for a type of parameter (passed to DJL's training configuration).
         *
         * @param initializer the initializer
         * @param type the parameter type
         * @return this builder
         */
        public Builder optInitializer(Initializer initializer, Parameter.Type type) {
            spec.initializers.add(new Pair<>(initializer, type));
            return this;
        }

        /**
         * Sets what fills the parameters of a new run once the block is initialised (seeded by the
         * run) and before its first step, e.g. sparse upcycling from a dense checkpoint. A resumed
         * run does not call it: its parameters come from the checkpoint.
         *
         * @param initialParameters receives the initialised block and writes into its parameters
         * @return this builder
         */
        public Builder optInitialParameters(Consumer<Block> initialParameters) {
            spec.initialParameters = initialParameters;
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run
         */
        public TrainingRun build() {
            return new TrainingRun(spec.validated());
        }
    }
}
