package io.github.moge.core.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.util.Pair;
import io.github.moge.core.training.checkpoint.AtomicFiles;
import io.github.moge.core.training.checkpoint.Checkpoint;
import io.github.moge.core.training.checkpoint.TrainingState;
import io.github.moge.core.training.data.RunSeeds;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.core.training.log.RunLog;
import io.github.moge.core.training.log.StepRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One invocation of a {@link TrainingRun} (a start or a resume): the steps and epochs from the
 * state it is given until the run completes or a stop is requested. A step's scalars come from
 * {@link StepMetrics}, the decision to update from {@link DivergenceGuard}, checkpoints from {@link
 * CheckpointSchedule}, epoch measurements from {@link EpochValidation}; everything is written to
 * the {@link RunLog}.
 */
final class TrainingLoop {

    private final RunSpec spec;
    private final RunLog log;
    private final CheckpointSchedule checkpoints;
    private final BooleanSupplier stopRequested;
    private final StepMetrics metrics;
    private final DivergenceGuard guard;
    private final EpochValidation validation;
    private final DataParallel parallel;
    private final List<EpochRecord> finishedEpochs = new ArrayList<>();
    private TrainingState state;

    TrainingLoop(
            RunSpec spec,
            RunLog log,
            CheckpointSchedule checkpoints,
            BooleanSupplier stopRequested) {
        this.spec = spec;
        this.log = log;
        this.checkpoints = checkpoints;
        this.stopRequested = stopRequested;
        this.metrics = new StepMetrics(spec.components, spec.evaluators, spec.diagnostics);
        this.guard = new DivergenceGuard(spec.skipNonFinite, spec.model.getBlock(), log);
        this.validation = new EpochValidation(spec);
        this.parallel = new DataParallel(spec.devices, spec.replicas);
    }

    /**
     * Trains from {@code start} (the model and optimizer already restored when resuming).
     *
     * @param runDirectory the run directory
     * @param start the state to continue from
     * @param resumedFrom the checkpoint resumed from, or null for a run from step 0
     * @return the summary
     * @throws IOException if the log or a checkpoint cannot be written
     */
    TrainingSummary train(Path runDirectory, TrainingState start, Checkpoint resumedFrom)
            throws IOException {
        state = start;
        long startStep = state.getStep();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(spec.loss)
                        .optOptimizer(spec.optimizer)
                        .optDevices(spec.devices.clone());
        for (Pair<Initializer, Parameter.Type> pair : spec.initializers) {
            config.optInitializer(pair.getKey(), pair.getValue());
        }
        spec.listeners.forEach(config::addTrainingListeners);
        spec.evaluators.forEach(config::addEvaluator);
        try (Trainer trainer = spec.model.newTrainer(config)) {
            try (RunLog files = log) {
                files.open(runDirectory, state.getStep(), state.getEpoch());
                trainer.initialize(spec.inputShapes);
                if (resumedFrom != null) {
                    checkpoints.restoreListenersAndStep(resumedFrom);
                } else if (spec.initialParameters != null && startStep == 0) {
                    spec.initialParameters.accept(spec.model.getBlock());
                }
                parallel.attach(trainer, spec.model.getBlock(), spec.optimizer);
                try {
                    epochs(trainer, runDirectory);
                } finally {
                    parallel.detach(spec.optimizer);
                }
                if (state.isCompleted()) {
                    saveFinalModel(runDirectory);
                }
            }
        }
        return new TrainingSummary(
                runDirectory,
                startStep,
                state.getStep(),
                state.isCompleted(),
                state.getSkippedSteps(),
                checkpoints.last(),
                finishedEpochs);
    }

    /**
     * Writes the finished run's parameters in DJL's format to {@code model/}, with a copy of the
     * run configuration that rebuilds its block ({@link TrainingRun#MODEL_DIRECTORY}).
     */
    private void saveFinalModel(Path runDirectory) throws IOException {
        Path dir = runDirectory.resolve(TrainingRun.MODEL_DIRECTORY);
        ParameterFiles.save(spec.model, dir, TrainingRun.MODEL_PREFIX);
        byte[] config = spec.configuration.toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(RunConfiguration.FILE_NAME), out -> out.write(config));
    }

    private void epochs(Trainer trainer, Path runDirectory) throws IOException {
        while (!state.isCompleted()) {
            // A run stopped after an epoch's last step resumes at its epoch-level work.
            if (state.getBatchInEpoch() < state.getBatchesPerEpoch()) {
                if (state.getBatchInEpoch() == 0) {
                    spec.trainingStep.onEpochStart(state.getEpoch());
                }
                trainStep(trainer);
            }
            if (state.getBatchInEpoch() == state.getBatchesPerEpoch()) {
                if (stopRequested.getAsBoolean()) {
                    // The stop (a spent --max-minutes, a signal) came during the epoch's last
                    // step: checkpoint before the evaluation, however long, instead of after it.
                    if (checkpoints.neededToStopAt(state.getStep())) {
                        state = checkpoints.write(state);
                    }
                    log.stopped(state.getStep(), runDirectory);
                    break;
                }
                finishEpoch(trainer);
            } else if (checkpoints.dueAfterStep(state.getStep())) {
                state = checkpoints.write(state);
            }
            if (stopRequested.getAsBoolean() && !state.isCompleted()) {
                if (checkpoints.neededToStopAt(state.getStep())) {
                    state = checkpoints.write(state);
                }
                log.stopped(state.getStep(), runDirectory);
                break;
            }
        }
    }

    private void trainStep(Trainer trainer) throws IOException {
        long step = state.getStep();
        int epoch = state.getEpoch();
        int index = state.getBatchInEpoch();
        long start = System.nanoTime();
        Engine.getInstance().setRandomSeed(RunSeeds.stepSeed(spec.seed, step));
        StepRecord record;
        try (NDManager scope = trainer.getManager().newSubManager()) {
            Batch batch = spec.trainingData.getBatch(scope, spec.seed, epoch, index);
            StepContext context = new StepContext(spec.seed, step, epoch, index, scope);
            StepOutput output;
            metrics.beforeForward(trainer, step);
            try (GradientCollector collector = trainer.newGradientCollector()) {
                output = parallel.forward(spec.trainingStep, trainer, batch, context);
                collector.backward(output.getLoss());
            }
            parallel.reduceGradients(scope);
            List<NDArray> gradients = StepMetrics.gradients(spec.model.getBlock(), scope);
            StepMetrics.Values values = metrics.measure(trainer, output, context, gradients);
            Checkpoint last = checkpoints.last();
            boolean update =
                    guard.admit(
                            context, values, gradients, last == null ? null : last.getDirectory());
            float lr = Float.NaN;
            if (update) {
                GradientClipping.clip(gradients, values.gradientNorm(), spec.clipGradNorm);
                trainer.step();
                parallel.syncParameters(scope);
                lr = spec.optimizer.getLastLearningRate();
                Device device = parallel.primary();
                Map<Device, NDList> labels = Map.of(device, output.getLabels());
                Map<Device, NDList> predictions = Map.of(device, output.getPredictions());
                TrainingListener.BatchData data =
                        new TrainingListener.BatchData(batch, labels, predictions);
                trainer.notifyListeners(listener -> listener.onTrainingBatch(trainer, data));
                state.recordUpdate(values.loss(), lr);
            } else {
                state.recordSkip();
            }
            double millis = (System.nanoTime() - start) / 1e6;
            record =
                    new StepRecord(
                            step,
                            epoch,
                            index,
                            values.loss(),
                            values.components(),
                            values.evaluations(),
                            values.diagnostics(),
                            values.gradientNorm(),
                            lr,
                            !update,
                            batch.getSize(),
                            millis);
            if (update) {
                state.recordMetrics(
                        record.getSamples(),
                        record.getLoss(),
                        record.getComponents(),
                        record.getEvaluations());
            }
            state.recordStep(millis / 1e3);
        }
        log.step(record);
        for (StepListener listener : spec.stepListeners) {
            listener.onStep(record);
        }
        log.progress(record);
    }

    private void finishEpoch(Trainer trainer) throws IOException {
        int epoch = state.getEpoch();
        Map<String, Double> training = state.getEpochMeans();
        Map<String, Double> measured = validation.measure(trainer, epoch);
        EpochRecord record =
                new EpochRecord(
                        epoch,
                        training,
                        measured,
                        state.getSkippedSteps(),
                        state.getEpochSeconds());
        finishedEpochs.add(record);
        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
        log.epoch(record, state.getStep());
        state.recordEpoch();
        state = checkpoints.write(state);
    }
}
