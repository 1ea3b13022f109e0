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
import io.github.moge.core.training.data.BatchSource;
import io.github.moge.core.training.optim.StatefulOptimizer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What defines a {@link TrainingRun}: the settings {@link TrainingRun.Builder} collects, and their
 * validation. The builder fills one; {@link #validated()} checks it and returns the frozen copy a
 * run keeps (lists copied, defaults filled in), which is not changed afterwards.
 */
final class RunSpec {

    Model model;
    Loss loss;
    StatefulOptimizer optimizer;
    BatchSource trainingData;
    BatchSource validationData;
    List<Evaluator> evaluators = new ArrayList<>();
    List<TrainingListener> listeners = new ArrayList<>();
    List<StepListener> stepListeners = new ArrayList<>();
    List<StepDiagnostic> diagnostics = new ArrayList<>();
    TrainingStep trainingStep = TrainingStep.STANDARD;
    Shape[] inputShapes;
    int epochs;
    long seed;
    boolean seedSet;
    Device[] devices;
    // Slices a batch is split into; 0: one per device. More than the devices run in turn on them.
    int replicas;
    RunConfiguration configuration = RunConfiguration.empty();
    int checkpointEvery;
    // Whether the cadence was set for this invocation; if not, a resume keeps the checkpoint's.
    boolean checkpointEverySet;
    int keepCheckpoints = 3;
    float clipGradNorm;
    boolean skipNonFinite;
    boolean allowFallback;
    // What the run trains on, recorded when it starts and compared on resume; null: not recorded.
    DataFingerprint data;
    PrintStream log = System.out;
    int progressEvery = 50;
    List<Loss> components;
    List<Pair<Initializer, Parameter.Type>> initializers = new ArrayList<>();
    // Fills the initialised parameters of a new run before its first step; null: the initializers'.
    Consumer<Block> initialParameters;
    List<EpochEvaluation> epochEvaluations = new ArrayList<>();
    StopRequest stopRequest;

    RunSpec() {}

    /**
     * Checks the settings and returns the run's frozen copy.
     *
     * @return the copy, with the default device, the loss components, the clipping and the devices
     *     in the configuration filled in
     * @throws IllegalArgumentException naming every missing part, or the first range that is wrong
     */
    RunSpec validated() {
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
        if (epochs < 1
                || checkpointEvery < 0
                || keepCheckpoints < 1
                || progressEvery < 0
                || !(clipGradNorm >= 0)) {
            throw new IllegalArgumentException(
                    "epochs and keepCheckpoints must be >= 1, checkpointEvery, progressEvery and"
                            + " clipGradNorm >= 0");
        }
        if (devices == null || devices.length == 0) {
            devices = new Device[] {Engine.getInstance().defaultDevice()};
        }
        if (new HashSet<>(Arrays.asList(devices)).size() != devices.length) {
            throw new IllegalArgumentException(
                    "devices " + DeviceNames.format(devices) + " name a device twice");
        }
        int replicaCount = replicas > 0 ? replicas : devices.length;
        if (replicaCount < devices.length) {
            throw new IllegalArgumentException(
                    replicaCount + " replicas cannot use " + devices.length + " devices");
        }
        if (replicaCount > 1 && !trainingStep.splitsAcrossReplicas()) {
            throw new IllegalArgumentException(
                    "this model's training step carries state from batch to batch and cannot be"
                            + " split across replicas: train on one device");
        }
        Device modelDevice = model.getNDManager().getDevice();
        if (!modelDevice.equals(devices[0])) {
            // The checkpoints save the model's own arrays, which DJL trains only on the first
            // device.
            throw new IllegalArgumentException(
                    "the model lives on "
                            + DeviceNames.name(modelDevice)
                            + " but the first training device is "
                            + DeviceNames.name(devices[0])
                            + ": create it with Model.newInstance(name, device)");
        }
        RunSpec frozen = new RunSpec();
        frozen.model = model;
        frozen.loss = loss;
        frozen.optimizer = optimizer;
        frozen.trainingData = trainingData;
        frozen.validationData = validationData;
        frozen.evaluators = List.copyOf(evaluators);
        frozen.listeners = List.copyOf(listeners);
        frozen.stepListeners = List.copyOf(stepListeners);
        frozen.diagnostics = List.copyOf(diagnostics);
        frozen.trainingStep = trainingStep;
        frozen.inputShapes = inputShapes;
        frozen.epochs = epochs;
        frozen.seed = seed;
        frozen.seedSet = true;
        frozen.devices = devices.clone();
        frozen.replicas = replicaCount;
        // Clipping changes the trajectory, so it is part of what a resume must match; the devices
        // are recorded but do not define the run (TrainingRun#resume).
        frozen.configuration =
                configuration.with(
                        Map.of(
                                TrainingRun.CLIP_GRAD_NORM_KEY,
                                clipGradNorm,
                                TrainingRun.DEVICES_KEY,
                                DeviceNames.format(devices)));
        frozen.checkpointEvery = checkpointEvery;
        frozen.checkpointEverySet = checkpointEverySet;
        frozen.keepCheckpoints = keepCheckpoints;
        frozen.clipGradNorm = clipGradNorm;
        frozen.skipNonFinite = skipNonFinite;
        frozen.allowFallback = allowFallback;
        frozen.data = data;
        frozen.log = log;
        frozen.progressEvery = progressEvery;
        frozen.components = components != null ? components : componentsOf(loss);
        frozen.initializers = List.copyOf(initializers);
        frozen.initialParameters = initialParameters;
        frozen.epochEvaluations = List.copyOf(epochEvaluations);
        frozen.stopRequest = stopRequest;
        return frozen;
    }

    /** {@return the listeners whose state the checkpoints hold, in the order they were added} */
    List<StatefulListener> statefulListeners() {
        List<StatefulListener> out = new ArrayList<>();
        for (TrainingListener listener : listeners) {
            if (listener instanceof StatefulListener) {
                out.add((StatefulListener) listener);
            }
        }
        return out;
    }

    /** {@return the value names of the epoch evaluations, in order} */
    List<String> evaluationNames() {
        List<String> names = new ArrayList<>();
        epochEvaluations.forEach(e -> names.addAll(e.names()));
        return names;
    }

    /** {@return the value names of the step diagnostics, in order} */
    List<String> diagnosticNames() {
        List<String> names = new ArrayList<>();
        diagnostics.forEach(d -> names.addAll(d.names()));
        return names;
    }

    private static List<Loss> componentsOf(Loss loss) {
        if (loss instanceof AbstractCompositeLoss) {
            return ((AbstractCompositeLoss) loss).getComponents();
        }
        return List.of();
    }
}
