package io.github.moge.examples.doctor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.github.moge.core.training.optim.StatefulAdamW;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One computation {@code moge doctor} runs on every device: a block with the same parameters (set
 * on the CPU, copied in DJL's parameter format), the same inputs, a forward pass, the loss, the
 * backward pass and one AdamW update. {@link #run} returns every value it produced, on the host, by
 * name: {@code output}, {@code loss}, {@code grad <parameter>} and {@code updated <parameter>}.
 */
final class DeviceCheck {

    private final String name;
    private final Supplier<Block> block;
    private final Function<NDManager, NDList> inputs;
    private final Function<NDManager, NDList> labels;
    private final Supplier<Loss> loss;
    private final boolean training;
    private byte[] parameters;

    /**
     * Creates the check.
     *
     * @param name what it checks, e.g. {@code MoGE layer}
     * @param block builds a fresh, uninitialised block (the same architecture every call)
     * @param inputs creates the inputs on a manager, the same values every call
     * @param labels creates the labels on a manager, the same values every call
     * @param loss builds the loss
     * @param training whether the forward pass runs in training mode (only where it draws no random
     *     numbers: the engines' generators differ between devices)
     */
    DeviceCheck(
            String name,
            Supplier<Block> block,
            Function<NDManager, NDList> inputs,
            Function<NDManager, NDList> labels,
            Supplier<Loss> loss,
            boolean training) {
        this.name = name;
        this.block = block;
        this.inputs = inputs;
        this.labels = labels;
        this.loss = loss;
        this.training = training;
    }

    /** {@return what it checks} */
    String name() {
        return name;
    }

    /**
     * Runs the computation on a device.
     *
     * @param device the device
     * @return the values it produced, by name, in order
     */
    Map<String, float[]> run(Device device) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDList x = inputs.apply(manager);
            NDList y = labels.apply(manager);
            Block model = initialized(manager, x);
            ParameterStore store = new ParameterStore(manager, false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDList predictions = model.forward(store, x, training);
                NDArray value = loss.get().evaluate(y, predictions);
                out.put("output", host(predictions.head()));
                out.put("loss", host(value));
                collector.backward(value);
            }
            StatefulAdamW adam =
                    StatefulAdamW.builder()
                            .optLearningRateTracker(Tracker.fixed(1e-3f))
                            .optWeightDecays(0.05f)
                            .build();
            for (Pair<String, Parameter> entry : model.getParameters()) {
                Parameter parameter = entry.getValue();
                if (!parameter.requiresGradient()) {
                    continue;
                }
                NDArray weight = parameter.getArray();
                NDArray gradient = weight.getGradient();
                out.put("grad " + entry.getKey(), host(gradient));
                adam.update(entry.getKey(), weight, gradient);
                out.put("updated " + entry.getKey(), host(weight));
            }
        }
        return out;
    }

    /**
     * Returns the block initialised on the manager with the parameters drawn once on the CPU, so
     * every device starts from the same values.
     */
    private Block initialized(NDManager manager, NDList x) {
        Shape[] shapes = x.getShapes();
        if (parameters == null) {
            try (NDManager cpu = NDManager.newBaseManager(Device.cpu())) {
                Engine.getInstance().setRandomSeed(7);
                Block reference = block.get();
                reference.initialize(cpu, DataType.FLOAT32, shapes);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                reference.saveParameters(new DataOutputStream(bytes));
                parameters = bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Block model = block.get();
        model.initialize(manager, DataType.FLOAT32, shapes);
        try {
            model.loadParameters(
                    manager, new DataInputStream(new ByteArrayInputStream(parameters)));
        } catch (IOException | ai.djl.MalformedModelException e) {
            throw new IllegalStateException("cannot copy the parameters of " + name, e);
        }
        for (Pair<String, Parameter> entry : model.getParameters()) {
            if (entry.getValue().requiresGradient()) {
                entry.getValue().getArray().setRequiresGradient(true);
            }
        }
        return model;
    }

    private static float[] host(NDArray array) {
        return array.toType(DataType.FLOAT32, false).toFloatArray();
    }
}
