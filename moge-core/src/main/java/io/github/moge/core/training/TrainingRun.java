package io.github.moge.core.training;

import io.github.moge.core.training.checkpoint.TrainingState;

import io.github.moge.core.training.checkpoint.AtomicFiles;
import io.github.moge.core.training.data.BatchSource;
import io.github.moge.core.training.data.RunSeeds;
import io.github.moge.core.training.checkpoint.Checkpoint;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import io.github.moge.core.training.log.CsvLog;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.core.training.optim.StatefulOptimizer;
import io.github.moge.core.training.log.StepRecord;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.evaluator.AbstractAccuracy;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.AbstractCompositeLoss;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.github.moge.core.SigmaScheduleListener;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop every command shares: checkpointed, exactly resumable, guarded against divergence,
 * with per-step native memory scopes.
 *
 * <pre>{@code
 * TrainingRun run = TrainingRun.builder()
 *         .setModel(model)                          // block set, not yet initialized
 *         .setLoss(moeLoss)
 *         .setOptimizer(StatefulAdamW.builder().optLearningRateTracker(lr).optWeightDecays(0.05f).build())
 *         .setTrainingData(ShuffledBatches.builder().setDataset(train).setBatchSize(200).build())
 *         .setInputShapes(new Shape(200, 784))
 *         .setEpochs(150).setSeed(42)
 *         .addListener(new SigmaScheduleListener())
 *         .optValidationData(testBatches).addEvaluator(new Accuracy())
 *         .optConfiguration(RunConfiguration.of(settings))
 *         .optCheckpointEvery(500).optClipGradNorm(1f)
 *         .build();
 * TrainingSummary summary = resumeDir == null ? run.run(outputDir) : run.resume(resumeDir);
 * }</pre>
 *
 * <p>A step: reseed the engine with {@link RunSeeds#stepSeed}(seed, step); fetch batch (epoch, index) from
 * the {@link BatchSource} into a manager that is closed after the step; run the {@link TrainingStep}'s
 * forward pass and backward; measure the {@link StepDiagnostic}s; compute the global gradient norm; stop
 * (or skip, if enabled) on a non-finite loss or norm; clip by global norm; step the optimizer; notify listeners (which advances a {@link
 * SigmaScheduleListener}); append a row to {@code metrics.csv}. Epochs end with validation, a row in
 * {@code epochs.csv} and a checkpoint.
 *
 * <p>Run directory: {@code config.json}, {@code metrics.csv}, {@code epochs.csv}, {@code checkpoints/}.
 * {@link #run(Path)} refuses a directory that already holds a run; {@link #resume(Path)} continues one from
 * its newest intact checkpoint. A run object is used once.
 *
 * <p>Add listeners that keep no per-batch metrics of their own: DJL's {@code EvaluatorTrainingListener}
 * and logging listeners expect DJL's own loop. Evaluators are computed by this loop per batch.
 */
public final class TrainingRun {

    private static final int MAX_CONSECUTIVE_SKIPS = 10;
    private static final String METRICS_FILE = "metrics.csv";
    private static final String EPOCHS_FILE = "epochs.csv";
    private static final String CHECKPOINTS = "checkpoints";
    private static final String BATCH_ACCUMULATOR = "moge.batch";
    /** The key under which the run records its gradient clipping norm in {@code config.json}. */
    public static final String CLIP_GRAD_NORM_KEY = "clip_grad_norm";

    private final Model model;
    private final Loss loss;
    private final StatefulOptimizer optimizer;
    private final BatchSource trainingData;
    private final BatchSource validationData;
    private final List<Evaluator> evaluators;
    private final List<TrainingListener> listeners;
    private final List<StepListener> stepListeners;
    private final List<StepDiagnostic> diagnostics;
    private final TrainingStep trainingStep;
    private final Shape[] inputShapes;
    private final int epochs;
    private final long seed;
    private final Device device;
    private final RunConfiguration configuration;
    private final int checkpointEvery;
    private final int keepCheckpoints;
    private final float clipGradNorm;
    private final boolean skipNonFinite;
    private final boolean allowFallback;
    private final PrintStream log;
    private final int progressEvery;
    private final List<Loss> components;
    private final List<Pair<Initializer, Parameter.Type>> initializers;
    private final List<EpochEvaluation> epochEvaluations;

    private volatile boolean stopRequested;
    private boolean used;

    // Per-invocation state.
    private TrainingState state;
    private CheckpointStore store;
    private Checkpoint lastCheckpoint;
    private CsvLog metrics;
    private CsvLog epochLog;
    private int consecutiveSkips;
    private List<EpochRecord> finishedEpochs;

    private TrainingRun(Builder builder) {
        this.model = builder.model;
        this.loss = builder.loss;
        this.optimizer = builder.optimizer;
        this.trainingData = builder.trainingData;
        this.validationData = builder.validationData;
        this.evaluators = List.copyOf(builder.evaluators);
        this.listeners = List.copyOf(builder.listeners);
        this.stepListeners = List.copyOf(builder.stepListeners);
        this.diagnostics = List.copyOf(builder.diagnostics);
        this.trainingStep = builder.trainingStep;
        this.inputShapes = builder.inputShapes;
        this.epochs = builder.epochs;
        this.seed = builder.seed;
        this.device = builder.device;
        // Clipping changes the trajectory, so it is part of what a resume must match.
        this.configuration = builder.configuration.with(Map.of(CLIP_GRAD_NORM_KEY, builder.clipGradNorm));
        this.checkpointEvery = builder.checkpointEvery;
        this.keepCheckpoints = builder.keepCheckpoints;
        this.clipGradNorm = builder.clipGradNorm;
        this.skipNonFinite = builder.skipNonFinite;
        this.allowFallback = builder.allowFallback;
        this.log = builder.log;
        this.progressEvery = builder.progressEvery;
        this.components = builder.components != null ? builder.components : componentsOf(loss);
        this.initializers = List.copyOf(builder.initializers);
        this.epochEvaluations = List.copyOf(builder.epochEvaluations);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Asks the loop to stop after the current step, write a checkpoint and return (thread-safe). */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Starts a new run in {@code runDirectory}, which is created; a directory that already holds a run
     * ({@code config.json} or {@code checkpoints/}) is refused, never overwritten.
     *
     * @param runDirectory where the configuration, metrics and checkpoints go
     * @return the summary
     * @throws IOException if the directory is taken or writing fails
     */
    public TrainingSummary run(Path runDirectory) throws IOException {
        claim();
        new ConfigurationValidator().requireWritableOutput("output directory", runDirectory).validate();
        if (Files.exists(runDirectory.resolve(RunConfiguration.FILE_NAME))
                || Files.exists(runDirectory.resolve(CHECKPOINTS))) {
            throw new IOException(
                    "output directory " + runDirectory + " already holds a run: resume it with --resume "
                            + runDirectory + ", or choose a new output directory");
        }
        Files.createDirectories(runDirectory);
        byte[] config = configuration.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AtomicFiles.write(runDirectory.resolve(RunConfiguration.FILE_NAME), out -> out.write(config));
        store = new CheckpointStore(runDirectory.resolve(CHECKPOINTS), keepCheckpoints);
        state = freshState();
        log.printf(Locale.ROOT, "Starting run in %s (seed %d, %d epochs x %d batches)%n",
                runDirectory, seed, epochs, trainingData.batchesPerEpoch());
        Engine.getInstance().setRandomSeed(RunSeeds.stepSeed(seed, -1));
        return train(runDirectory, null);
    }

    /**
     * Continues the run in {@code runDirectory} from its newest intact checkpoint (or from the start if it
     * has none yet). The configuration given to the builder must equal the saved one; a command should
     * build its settings from {@link RunConfiguration#read(Path)}.
     *
     * @param runDirectory the run directory
     * @return the summary
     * @throws CorruptCheckpointException if the newest checkpoint is corrupt and fallback is off
     * @throws IOException if the directory is not a run or cannot be read
     */
    public TrainingSummary resume(Path runDirectory) throws IOException {
        claim();
        RunConfiguration saved = RunConfiguration.read(runDirectory);
        List<String> differences = saved.differences(configuration);
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(
                    "the run configuration differs from " + runDirectory.resolve(RunConfiguration.FILE_NAME)
                            + " (" + String.join("; ", differences) + "): resume with the saved settings"
                            + " (pass only --resume) or start a new run");
        }
        store = new CheckpointStore(runDirectory.resolve(CHECKPOINTS), keepCheckpoints);
        store.removeIncompleteWrites();
        Checkpoint checkpoint = store.latest(allowFallback, w -> log.println("WARNING: " + w)).orElse(null);
        if (checkpoint == null) {
            log.printf(Locale.ROOT, "No checkpoint in %s yet: starting the run from step 0%n", runDirectory);
            state = freshState();
            Engine.getInstance().setRandomSeed(RunSeeds.stepSeed(seed, -1));
            return train(runDirectory, null);
        }
        TrainingState saved1 = checkpoint.getState();
        if (saved1.seed != seed
                || saved1.epochs != epochs
                || saved1.batchesPerEpoch != trainingData.batchesPerEpoch()) {
            throw new IllegalArgumentException(
                    String.format(Locale.ROOT,
                            "checkpoint %s was written by a run with seed %d, %d epochs of %d batches, but"
                                    + " this run has seed %d, %d epochs of %d batches: resume with the saved"
                                    + " settings and data",
                            checkpoint, saved1.seed, saved1.epochs, saved1.batchesPerEpoch, seed, epochs,
                            trainingData.batchesPerEpoch()));
        }
        store.restore(checkpoint, model, optimizer);
        // A copy: the loop mutates its state, and the checkpoint's must keep the step it was written at
        // (a stop request compares them to decide whether a checkpoint is needed).
        state = TrainingState.fromJson(saved1.toJson());
        lastCheckpoint = checkpoint;
        if (state.completed) {
            log.printf(Locale.ROOT, "Run %s is complete (step %d); loaded its final parameters%n",
                    runDirectory, state.step);
        } else {
            log.printf(Locale.ROOT, "Resuming %s from %s: step %d, epoch %d, batch %d%n",
                    runDirectory, checkpoint.getDirectory().getFileName(), state.step, state.epoch + 1,
                    state.batchInEpoch);
        }
        return train(runDirectory, checkpoint);
    }

    private void claim() {
        if (used) {
            throw new IllegalStateException("a TrainingRun runs once; build a new one");
        }
        used = true;
    }

    private TrainingState freshState() {
        TrainingState s = new TrainingState();
        s.seed = seed;
        s.epochs = epochs;
        s.batchesPerEpoch = trainingData.batchesPerEpoch();
        return s;
    }

    private TrainingSummary train(Path runDirectory, Checkpoint resumedFrom) throws IOException {
        long startStep = state.step;
        finishedEpochs = new ArrayList<>();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(loss).optOptimizer(optimizer).optDevices(new Device[] {device});
        for (Pair<Initializer, Parameter.Type> pair : initializers) {
            config.optInitializer(pair.getKey(), pair.getValue());
        }
        listeners.forEach(config::addTrainingListeners);
        evaluators.forEach(config::addEvaluator);
        List<String> componentNames = components.stream().map(Loss::getName).toList();
        List<String> evaluatorNames = evaluators.stream().map(Evaluator::getName).toList();
        try (Trainer trainer = model.newTrainer(config);
                CsvLog stepLog = CsvLog.open(runDirectory.resolve(METRICS_FILE),
                        stepHeader(componentNames, evaluatorNames, diagnosticNames()), state.step);
                CsvLog epochsLog = CsvLog.open(runDirectory.resolve(EPOCHS_FILE),
                        epochHeader(componentNames, evaluatorNames, evaluationNames()), state.epoch)) {
            metrics = stepLog;
            epochLog = epochsLog;
            trainer.initialize(inputShapes);
            if (resumedFrom != null) {
                restoreSchedules();
                NDList stepState = store.readStepState(resumedFrom, model.getNDManager());
                trainingStep.loadState(stepState);
            }
            while (!state.completed) {
                if (state.batchInEpoch == 0) {
                    trainingStep.onEpochStart(state.epoch);
                }
                trainStep(trainer);
                if (state.batchInEpoch == state.batchesPerEpoch) {
                    finishEpoch(trainer);
                } else if (checkpointEvery > 0 && state.step % checkpointEvery == 0) {
                    checkpoint(trainer);
                }
                if (stopRequested && !state.completed) {
                    if (lastCheckpoint == null || lastCheckpoint.getState().step != state.step) {
                        checkpoint(trainer);
                    }
                    log.printf(Locale.ROOT, "Stopped at step %d on request; resume with --resume %s%n",
                            state.step, runDirectory);
                    break;
                }
            }
        }
        return new TrainingSummary(runDirectory, startStep, state.step, state.completed,
                state.skippedSteps, lastCheckpoint, finishedEpochs);
    }

    private void restoreSchedules() {
        List<SigmaScheduleListener> schedules = scheduleListeners();
        if (schedules.size() != state.scheduleSteps.size()) {
            throw new IllegalStateException(
                    "checkpoint holds " + state.scheduleSteps.size() + " sigma schedule positions but the"
                            + " run has " + schedules.size() + " SigmaScheduleListeners");
        }
        for (int i = 0; i < schedules.size(); i++) {
            schedules.get(i).setStep(state.scheduleSteps.get(i));
        }
    }

    private List<SigmaScheduleListener> scheduleListeners() {
        List<SigmaScheduleListener> out = new ArrayList<>();
        for (TrainingListener listener : listeners) {
            if (listener instanceof SigmaScheduleListener) {
                out.add((SigmaScheduleListener) listener);
            }
        }
        return out;
    }

    private void trainStep(Trainer trainer) throws IOException {
        long step = state.step;
        int epoch = state.epoch;
        int index = state.batchInEpoch;
        long start = System.nanoTime();
        Engine.getInstance().setRandomSeed(RunSeeds.stepSeed(seed, step));
        StepRecord record;
        try (NDManager scope = trainer.getManager().newSubManager()) {
            Batch batch = trainingData.getBatch(scope, seed, epoch, index);
            StepContext context = new StepContext(seed, step, epoch, index, scope);
            StepOutput output;
            for (StepDiagnostic diagnostic : diagnostics) {
                diagnostic.beforeForward(trainer, step);
            }
            try (GradientCollector collector = trainer.newGradientCollector()) {
                output = trainingStep.forward(trainer, batch, context);
                collector.backward(output.getLoss());
            }
            List<NDArray> gradients = gradients(scope);
            List<Boolean> measured = new ArrayList<>();
            NDList diagnosticValues = measureDiagnostics(trainer, output, context, measured);
            NDList scalars = new NDList();
            scalars.add(asScalar(output.getLoss()));
            scalars.add(gradients.isEmpty() ? scope.zeros(new Shape()) : GradientClipping.globalNorm(gradients));
            for (Loss component : components) {
                scalars.add(asScalar(component.evaluate(output.getLabels(), output.getPredictions())));
            }
            for (Evaluator evaluator : evaluators) {
                scalars.add(evaluatorScalar(evaluator, output.getLabels(), output.getPredictions()));
            }
            scalars.addAll(diagnosticValues);
            float[] values = NDArrays.stack(scalars).toFloatArray();
            float lossValue = values[0];
            float norm = values[1];
            Map<String, Float> componentValues = new LinkedHashMap<>();
            for (int i = 0; i < components.size(); i++) {
                componentValues.put(components.get(i).getName(), values[2 + i]);
            }
            Map<String, Float> evaluations = new LinkedHashMap<>();
            for (int i = 0; i < evaluators.size(); i++) {
                evaluations.put(evaluators.get(i).getName(), values[2 + components.size() + i]);
            }
            Map<String, Float> diagnosed =
                    diagnosticMap(values, 2 + components.size() + evaluators.size(), measured);
            boolean finite = Float.isFinite(lossValue) && Float.isFinite(norm);
            float lr = Float.NaN;
            if (!finite) {
                String message = divergenceMessage(step, epoch, index, lossValue, componentValues, norm)
                        + nonFiniteGradients(gradients);
                if (!skipNonFinite) {
                    throw new TrainingDivergedException(message, step, lossValue, componentValues, norm,
                            lastCheckpoint == null ? null : lastCheckpoint.getDirectory());
                }
                consecutiveSkips++;
                if (consecutiveSkips > MAX_CONSECUTIVE_SKIPS) {
                    throw new TrainingDivergedException(
                            message + "; " + consecutiveSkips + " consecutive steps were non-finite, giving up",
                            step, lossValue, componentValues, norm,
                            lastCheckpoint == null ? null : lastCheckpoint.getDirectory());
                }
                log.println("WARNING: skipping the update: " + message);
                for (NDArray gradient : gradients) {
                    gradient.set(new NDIndex("..."), 0);
                }
                state.skippedSteps++;
            } else {
                consecutiveSkips = 0;
                GradientClipping.clip(gradients, norm, clipGradNorm);
                trainer.step();
                lr = optimizer.getLastLearningRate();
                Map<Device, NDList> labels = Map.of(device, output.getLabels());
                Map<Device, NDList> predictions = Map.of(device, output.getPredictions());
                TrainingListener.BatchData data = new TrainingListener.BatchData(batch, labels, predictions);
                trainer.notifyListeners(listener -> listener.onTrainingBatch(trainer, data));
                state.lastLoss = lossValue;
                state.learningRate = lr;
            }
            double millis = (System.nanoTime() - start) / 1e6;
            record = new StepRecord(step, epoch, index, lossValue, componentValues, evaluations, diagnosed,
                    norm, lr, !finite, batch.getSize(), millis);
            if (finite) {
                accumulate(record);
            }
            state.epochSeconds += millis / 1e3;
        }
        state.step++;
        state.batchInEpoch++;
        writeStep(record);
        for (StepListener listener : stepListeners) {
            listener.onStep(record);
        }
        if (progressEvery > 0 && (record.getStep() + 1) % progressEvery == 0) {
            log.println(progressLine(record));
        }
    }

    /**
     * Runs the diagnostics on this step; {@code measured} receives, per diagnostic, whether it measured.
     * Their scalars are returned for the step's single host read.
     */
    private NDList measureDiagnostics(
            Trainer trainer, StepOutput output, StepContext context, List<Boolean> measured) {
        NDList values = new NDList();
        for (StepDiagnostic diagnostic : diagnostics) {
            NDList measurement = diagnostic.measure(trainer, output, context);
            measured.add(measurement != null);
            if (measurement == null) {
                continue;
            }
            if (measurement.size() != diagnostic.names().size()) {
                throw new IllegalStateException(diagnostic.getClass().getSimpleName() + " returned "
                        + measurement.size() + " values for its " + diagnostic.names().size() + " names");
            }
            for (NDArray value : measurement) {
                values.add(asScalar(value));
            }
        }
        return values;
    }

    /** The diagnostics' values by column name, NaN for a diagnostic that did not measure this step. */
    private Map<String, Float> diagnosticMap(float[] values, int offset, List<Boolean> measured) {
        Map<String, Float> out = new LinkedHashMap<>();
        int next = offset;
        for (int i = 0; i < diagnostics.size(); i++) {
            for (String name : diagnostics.get(i).names()) {
                out.put(name, measured.get(i) ? values[next++] : Float.NaN);
            }
        }
        return out;
    }

    private List<String> diagnosticNames() {
        List<String> names = new ArrayList<>();
        diagnostics.forEach(d -> names.addAll(d.names()));
        return names;
    }

    private List<NDArray> gradients(NDManager scope) {
        List<NDArray> out = new ArrayList<>();
        for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
            Parameter parameter = entry.getValue();
            if (parameter.requiresGradient() && parameter.isInitialized()) {
                NDArray gradient = parameter.getArray().getGradient();
                gradient.attach(scope);
                out.add(gradient);
            }
        }
        return out;
    }

    /** Names the parameters whose gradients are not finite (only computed once a step has diverged). */
    private String nonFiniteGradients(List<NDArray> gradients) {
        List<String> names = new ArrayList<>();
        int i = 0;
        for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
            Parameter parameter = entry.getValue();
            if (!parameter.requiresGradient() || !parameter.isInitialized()) {
                continue;
            }
            NDArray gradient = gradients.get(i++);
            float norm = GradientClipping.globalNorm(List.of(gradient)).getFloat();
            if (!Float.isFinite(norm)) {
                names.add(entry.getKey() + " (" + norm + ")");
            }
        }
        if (names.isEmpty()) {
            return "";
        }
        int shown = Math.min(5, names.size());
        return "; non-finite gradient norm in " + String.join(", ", names.subList(0, shown))
                + (names.size() > shown ? " and " + (names.size() - shown) + " more parameters" : "");
    }

    /**
     * Returns an evaluator's value on one batch. DJL's accuracies return the number of correct predictions
     * from {@code evaluate}, so they are read through their accumulator, which gives the fraction.
     */
    private static NDArray evaluatorScalar(Evaluator evaluator, NDList labels, NDList predictions) {
        if (evaluator instanceof AbstractAccuracy) {
            evaluator.addAccumulator(BATCH_ACCUMULATOR); // (re)starts it at zero
            evaluator.updateAccumulator(BATCH_ACCUMULATOR, labels, predictions);
            float fraction = evaluator.getAccumulator(BATCH_ACCUMULATOR);
            return predictions.head().getManager().create(fraction);
        }
        return asScalar(evaluator.evaluate(labels, predictions));
    }

    private static NDArray asScalar(NDArray array) {
        NDArray scalar = array.getShape().isScalar() ? array : array.mean();
        return scalar.toType(DataType.FLOAT32, false).reshape(new Shape());
    }

    private static String divergenceMessage(
            long step, int epoch, int index, float lossValue, Map<String, Float> components, float norm) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "non-finite %s at step %d (epoch %d, batch %d): loss %s",
                Float.isFinite(lossValue) ? "gradient" : "loss", step, epoch + 1, index, lossValue));
        if (!components.isEmpty()) {
            sb.append(" =");
            String sep = " ";
            for (Map.Entry<String, Float> e : components.entrySet()) {
                sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = " + ";
            }
        }
        sb.append(", gradient norm ").append(norm);
        return sb.toString();
    }

    private void accumulate(StepRecord record) {
        double w = record.getSamples();
        state.epochSamples += w;
        add("loss", record.getLoss() * w);
        record.getComponents().forEach((k, v) -> add(k, v * w));
        record.getEvaluations().forEach((k, v) -> add(k, v * w));
    }

    private void add(String key, double value) {
        state.epochTotals.merge(key, value, Double::sum);
    }

    private void finishEpoch(Trainer trainer) throws IOException {
        int epoch = state.epoch;
        Map<String, Double> training = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : state.epochTotals.entrySet()) {
            training.put(e.getKey(), state.epochSamples > 0 ? e.getValue() / state.epochSamples : Double.NaN);
        }
        Map<String, Double> validation =
                validationData == null ? new LinkedHashMap<>() : validate(trainer, epoch);
        if (!epochEvaluations.isEmpty()) {
            Engine.getInstance().setRandomSeed(RunSeeds.validationSeed(seed, epoch));
            for (EpochEvaluation evaluation : epochEvaluations) {
                double[] values = evaluation.evaluate(trainer, epoch);
                List<String> names = evaluation.names();
                if (values.length != names.size()) {
                    throw new IllegalStateException(
                            "epoch evaluation returned " + values.length + " values for " + names);
                }
                for (int i = 0; i < values.length; i++) {
                    validation.put(names.get(i), values[i]);
                }
            }
        }
        EpochRecord record = new EpochRecord(epoch, training, validation, state.skippedSteps, state.epochSeconds);
        finishedEpochs.add(record);
        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
        List<String> row = new ArrayList<>();
        row.add(Integer.toString(epoch));
        row.add(Long.toString(state.step));
        row.add(format(training.getOrDefault("loss", Double.NaN)));
        for (Loss component : components) {
            row.add(format(training.getOrDefault(component.getName(), Double.NaN)));
        }
        for (Evaluator evaluator : evaluators) {
            row.add(format(training.getOrDefault(evaluator.getName(), Double.NaN)));
        }
        row.add(format(validation.getOrDefault("loss", Double.NaN)));
        for (Evaluator evaluator : evaluators) {
            row.add(format(validation.getOrDefault(evaluator.getName(), Double.NaN)));
        }
        for (String name : evaluationNames()) {
            row.add(format(validation.getOrDefault(name, Double.NaN)));
        }
        row.add(Long.toString(state.skippedSteps));
        row.add(String.format(Locale.ROOT, "%.3f", state.epochSeconds));
        epochLog.append(row);
        log.println(epochLine(record));
        state.epoch++;
        state.batchInEpoch = 0;
        state.epochTotals = new LinkedHashMap<>();
        state.epochSamples = 0;
        state.epochSeconds = 0;
        state.completed = state.epoch == epochs;
        checkpoint(trainer);
    }

    private Map<String, Double> validate(Trainer trainer, int epoch) throws IOException {
        Engine.getInstance().setRandomSeed(RunSeeds.validationSeed(seed, epoch));
        double samples = 0;
        double[] totals = new double[1 + evaluators.size()];
        for (int i = 0; i < validationData.batchesPerEpoch(); i++) {
            try (NDManager scope = trainer.getManager().newSubManager()) {
                Batch batch = validationData.getBatch(scope, seed, epoch, i);
                NDList predictions = trainer.evaluate(batch.getData());
                NDList scalars = new NDList();
                scalars.add(asScalar(loss.evaluate(batch.getLabels(), predictions)));
                for (Evaluator evaluator : evaluators) {
                    scalars.add(evaluatorScalar(evaluator, batch.getLabels(), predictions));
                }
                float[] values = NDArrays.stack(scalars).toFloatArray();
                for (int j = 0; j < values.length; j++) {
                    totals[j] += (double) values[j] * batch.getSize();
                }
                samples += batch.getSize();
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", totals[0] / samples);
        for (int j = 0; j < evaluators.size(); j++) {
            out.put(evaluators.get(j).getName(), totals[1 + j] / samples);
        }
        return out;
    }

    private void checkpoint(Trainer trainer) throws IOException {
        metrics.flush();
        epochLog.flush();
        state.scheduleSteps = new ArrayList<>();
        for (SigmaScheduleListener schedule : scheduleListeners()) {
            state.scheduleSteps.add(schedule.getStep());
        }
        NDList stepState = trainingStep.saveState();
        lastCheckpoint = store.write(state, model, optimizer, stepState, configuration.toJson());
        // The store filled in the optimizer entries of this state; later steps mutate a copy.
        state = TrainingState.fromJson(lastCheckpoint.getState().toJson());
    }

    private void writeStep(StepRecord r) throws IOException {
        List<String> row = new ArrayList<>();
        row.add(Long.toString(r.getStep()));
        row.add(Integer.toString(r.getEpoch()));
        row.add(Integer.toString(r.getBatchInEpoch()));
        row.add(Float.toString(r.getLoss()));
        r.getComponents().values().forEach(v -> row.add(Float.toString(v)));
        r.getEvaluations().values().forEach(v -> row.add(Float.toString(v)));
        // A diagnostic that did not measure this step leaves its cells empty.
        r.getDiagnostics().values().forEach(v -> row.add(Float.isNaN(v) ? "" : Float.toString(v)));
        row.add(Float.toString(r.getGradientNorm()));
        row.add(Float.toString(r.getLearningRate()));
        row.add(r.isSkipped() ? "1" : "0");
        row.add(Integer.toString(r.getSamples()));
        row.add(String.format(Locale.ROOT, "%.2f", r.getMillis()));
        metrics.append(row);
    }

    private static List<String> stepHeader(
            List<String> components, List<String> evaluators, List<String> diagnostics) {
        List<String> header = new ArrayList<>(List.of("step", "epoch", "batch", "loss"));
        header.addAll(components);
        header.addAll(evaluators);
        header.addAll(diagnostics);
        header.addAll(List.of("grad_norm", "learning_rate", "skipped", "samples", "millis"));
        return header;
    }

    private List<String> evaluationNames() {
        List<String> names = new ArrayList<>();
        epochEvaluations.forEach(e -> names.addAll(e.names()));
        return names;
    }

    private static List<String> epochHeader(
            List<String> components, List<String> evaluators, List<String> evaluations) {
        List<String> header = new ArrayList<>(List.of("epoch", "step", "train_loss"));
        components.forEach(c -> header.add("train_" + c));
        evaluators.forEach(e -> header.add("train_" + e));
        header.add("validation_loss");
        evaluators.forEach(e -> header.add("validation_" + e));
        evaluations.forEach(e -> header.add("validation_" + e));
        header.addAll(List.of("skipped", "seconds"));
        return header;
    }

    private String progressLine(StepRecord r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "epoch %d/%d batch %d/%d step %d: loss %.5f",
                r.getEpoch() + 1, epochs, r.getBatchInEpoch() + 1, trainingData.batchesPerEpoch(),
                r.getStep() + 1, r.getLoss()));
        appendValues(sb, r.getComponents(), " (", ")");
        appendValues(sb, r.getEvaluations(), " ", "");
        Map<String, Float> measured = new LinkedHashMap<>(r.getDiagnostics());
        measured.values().removeIf(v -> v.isNaN());
        appendValues(sb, measured, " [", "]");
        sb.append(String.format(Locale.ROOT, " |g| %.4g lr %.3g, %.0f samples/s", r.getGradientNorm(),
                r.getLearningRate(), r.getSamples() * 1e3 / r.getMillis()));
        return sb.toString();
    }

    private static void appendValues(StringBuilder sb, Map<String, Float> values, String open, String close) {
        if (values.isEmpty()) {
            return;
        }
        sb.append(open);
        String sep = "";
        for (Map.Entry<String, Float> e : values.entrySet()) {
            sb.append(sep).append(e.getKey()).append(' ').append(String.format(Locale.ROOT, "%.5g", e.getValue()));
            sep = ", ";
        }
        sb.append(close);
    }

    private String epochLine(EpochRecord e) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "epoch %d/%d done in %.1f s: train", e.getEpoch() + 1, epochs,
                e.getSeconds()));
        e.getTraining().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
        if (!e.getValidation().isEmpty()) {
            sb.append("; validation");
            e.getValidation().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
        }
        if (e.getSkippedSteps() > 0) {
            sb.append("; skipped steps so far ").append(e.getSkippedSteps());
        }
        return sb.toString();
    }

    private static String format(double value) {
        return Double.toString(value);
    }

    private static List<Loss> componentsOf(Loss loss) {
        if (loss instanceof AbstractCompositeLoss) {
            return ((AbstractCompositeLoss) loss).getComponents();
        }
        return List.of();
    }

    /** Builds a {@link TrainingRun}. */
    public static final class Builder {

        private Model model;
        private Loss loss;
        private StatefulOptimizer optimizer;
        private BatchSource trainingData;
        private BatchSource validationData;
        private final List<Evaluator> evaluators = new ArrayList<>();
        private final List<TrainingListener> listeners = new ArrayList<>();
        private final List<StepListener> stepListeners = new ArrayList<>();
        private final List<StepDiagnostic> diagnostics = new ArrayList<>();
        private TrainingStep trainingStep = TrainingStep.STANDARD;
        private Shape[] inputShapes;
        private int epochs;
        private long seed;
        private boolean seedSet;
        private Device device;
        private RunConfiguration configuration = RunConfiguration.empty();
        private int checkpointEvery;
        private int keepCheckpoints = 3;
        private float clipGradNorm;
        private boolean skipNonFinite;
        private boolean allowFallback;
        private PrintStream log = System.out;
        private int progressEvery = 50;
        private List<Loss> components;
        private final List<Pair<Initializer, Parameter.Type>> initializers = new ArrayList<>();
        private final List<EpochEvaluation> epochEvaluations = new ArrayList<>();

        Builder() {}

        /**
         * Adds a measurement taken inside every step between backward and the update, written as extra
         * columns of {@code metrics.csv}.
         *
         * @param diagnostic the measurement; it must not change the trajectory
         * @return this builder
         */
        public Builder addStepDiagnostic(StepDiagnostic diagnostic) {
            diagnostics.add(diagnostic);
            return this;
        }

        /**
         * Adds measurements made after every epoch (after validation), recorded in {@code epochs.csv}.
         *
         * @param evaluation the measurement
         * @return this builder
         */
        public Builder addEpochEvaluation(EpochEvaluation evaluation) {
            epochEvaluations.add(evaluation);
            return this;
        }

        /**
         * Sets the model; its block must be set. On resume its parameters are loaded from the checkpoint.
         *
         * @param model the model
         * @return this builder
         */
        public Builder setModel(Model model) {
            this.model = model;
            return this;
        }

        /**
         * Sets the training loss; the components of an {@link AbstractCompositeLoss} are logged per step.
         *
         * @param loss the loss
         * @return this builder
         */
        public Builder setLoss(Loss loss) {
            this.loss = loss;
            return this;
        }

        /**
         * Sets the optimizer, whose state goes into checkpoints.
         *
         * @param optimizer e.g. {@link StatefulAdamW}
         * @return this builder
         */
        public Builder setOptimizer(StatefulOptimizer optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /**
         * Sets the training batches.
         *
         * @param trainingData the batches of every epoch
         * @return this builder
         */
        public Builder setTrainingData(BatchSource trainingData) {
            this.trainingData = trainingData;
            return this;
        }

        /**
         * Sets validation batches, evaluated (loss and evaluators) after every epoch.
         *
         * @param validationData the validation batches (usually unshuffled)
         * @return this builder
         */
        public Builder optValidationData(BatchSource validationData) {
            this.validationData = validationData;
            return this;
        }

        /**
         * Adds an evaluator computed on every training and validation batch.
         *
         * @param evaluator e.g. Accuracy
         * @return this builder
         */
        public Builder addEvaluator(Evaluator evaluator) {
            evaluators.add(evaluator);
            return this;
        }

        /**
         * Adds a DJL training listener (e.g. {@link SigmaScheduleListener}, whose step is checkpointed).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder addListener(TrainingListener listener) {
            listeners.add(listener);
            return this;
        }

        /**
         * Adds an observer of every step's metrics.
         *
         * @param listener the observer
         * @return this builder
         */
        public Builder addStepListener(StepListener listener) {
            stepListeners.add(listener);
            return this;
        }

        /**
         * Replaces the per-batch forward pass (default {@link TrainingStep#STANDARD}).
         *
         * @param step the step
         * @return this builder
         */
        public Builder optTrainingStep(TrainingStep step) {
            this.trainingStep = step;
            return this;
        }

        /**
         * Sets the input shapes the model is initialized with.
         *
         * @param shapes the shapes of one batch's data
         * @return this builder
         */
        public Builder setInputShapes(Shape... shapes) {
            this.inputShapes = shapes;
            return this;
        }

        /**
         * Sets the number of epochs.
         *
         * @param epochs at least 1
         * @return this builder
         */
        public Builder setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the run seed: initialization, per-step randomness and data order derive from it.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder setSeed(long seed) {
            this.seed = seed;
            this.seedSet = true;
            return this;
        }

        /**
         * Sets the device (default: the engine's default device).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Sets the run configuration saved as {@code config.json} and compared on resume.
         *
         * @param configuration the settings that define the run
         * @return this builder
         */
        public Builder optConfiguration(RunConfiguration configuration) {
            this.configuration = configuration;
            return this;
        }

        /**
         * Writes a checkpoint every {@code steps} steps as well as after every epoch (default 0: epochs
         * only).
         *
         * @param steps &gt;= 0
         * @return this builder
         */
        public Builder optCheckpointEvery(int steps) {
            this.checkpointEvery = steps;
            return this;
        }

        /**
         * Sets how many of the newest checkpoints are kept (default 3).
         *
         * @param keep at least 1
         * @return this builder
         */
        public Builder optKeepCheckpoints(int keep) {
            this.keepCheckpoints = keep;
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
            this.clipGradNorm = maxNorm;
            return this;
        }

        /**
         * Skips the update of a step with a non-finite loss or gradient instead of stopping (default off);
         * more than 10 such steps in a row stop the run.
         *
         * @param skip whether to skip and continue
         * @return this builder
         */
        public Builder optSkipNonFinite(boolean skip) {
            this.skipNonFinite = skip;
            return this;
        }

        /**
         * On resume, falls back to the previous checkpoint when the newest is corrupt (default off: refuse).
         *
         * @param allowFallback whether to fall back
         * @return this builder
         */
        public Builder optAllowFallback(boolean allowFallback) {
            this.allowFallback = allowFallback;
            return this;
        }

        /**
         * Sets where progress goes (default System.out).
         *
         * @param log the stream
         * @return this builder
         */
        public Builder optLog(PrintStream log) {
            this.log = log;
            return this;
        }

        /**
         * Prints a progress line every {@code steps} steps (default 50; 0 prints epoch summaries only).
         *
         * @param steps &gt;= 0
         * @return this builder
         */
        public Builder optProgressEvery(int steps) {
            this.progressEvery = steps;
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
            this.components = List.copyOf(components);
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
            initializers.add(new Pair<>(initializer, type));
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run
         */
        public TrainingRun build() {
            List<String> missing = new ArrayList<>();
            if (model == null || model.getBlock() == null) {
                missing.add("model (with a block)");
            }
            if (loss == null) {
                missing.add("loss");
            }
            if (optimizer == null) {
                missing.add("optimizer");
            }
            if (trainingData == null) {
                missing.add("training data");
            }
            if (inputShapes == null || inputShapes.length == 0) {
                missing.add("input shapes");
            }
            if (!seedSet) {
                missing.add("seed");
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("TrainingRun needs " + String.join(", ", missing));
            }
            if (epochs < 1 || checkpointEvery < 0 || keepCheckpoints < 1 || progressEvery < 0
                    || !(clipGradNorm >= 0)) {
                throw new IllegalArgumentException(
                        "epochs and keepCheckpoints must be >= 1, checkpointEvery, progressEvery and"
                                + " clipGradNorm >= 0");
            }
            if (device == null) {
                device = Engine.getInstance().defaultDevice();
            }
            return new TrainingRun(this);
        }
    }

}
