package io.github.moge.core.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameter shapes of a model as its block builds them, compared on resume with those of the
 * checkpoint: DJL's {@code Model.load} replaces each parameter's array without looking at its
 * shape, so a model rebuilt from other data (a vocabulary of another size) would silently take a
 * checkpoint that does not fit it.
 */
final class ParameterShapes {

    /** Allocates one element instead of the parameter: only the shapes are wanted. */
    private static final Initializer PLACEHOLDER =
            (manager, shape, dataType) -> manager.zeros(new Shape(1), dataType);

    private ParameterShapes() {}

    /**
     * Returns the shapes the model's block gives its parameters for the input shapes, without
     * allocating them or drawing random numbers; the block is left uninitialized.
     *
     * @param model the model, not yet initialized
     * @param device where to place the placeholders
     * @param inputShapes the input shapes of one batch
     * @return the shape of every parameter by name, in block order
     */
    static Map<String, Shape> of(Model model, Device device, Shape[] inputShapes) {
        Block block = model.getBlock();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        if (block.isInitialized()) {
            for (Pair<String, Parameter> p : block.getParameters()) {
                shapes.put(p.getKey(), p.getValue().getShape());
            }
            return shapes;
        }
        List<Pair<Parameter, Initializer>> initializers = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            initializers.add(new Pair<>(p.getValue(), p.getValue().getInitializer()));
            p.getValue().setInitializer(PLACEHOLDER);
        }
        // Under the model's own manager, on its device; closed (placeholders and all) before
        // return.
        try (NDManager manager = model.getNDManager().newSubManager(device)) {
            block.initialize(manager, model.getDataType(), inputShapes);
            for (Pair<String, Parameter> p : block.getParameters()) {
                shapes.put(p.getKey(), p.getValue().getShape());
            }
        } finally {
            for (Pair<Parameter, Initializer> p : initializers) {
                p.getKey().close();
                p.getKey().setInitializer(p.getValue());
            }
        }
        return shapes;
    }

    /**
     * Refuses a restored model whose parameters do not have the shapes its block builds.
     *
     * @param expected the shapes from {@link #of}, taken before the checkpoint was loaded
     * @param model the model with the checkpoint's parameters loaded
     * @param checkpoint the checkpoint directory, for the message
     * @throws IllegalArgumentException naming the first parameter that differs and both shapes
     */
    static void requireSame(Map<String, Shape> expected, Model model, Path checkpoint) {
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            Shape want = expected.get(p.getKey());
            Parameter parameter = p.getValue();
            Shape have = parameter.isInitialized() ? parameter.getArray().getShape() : null;
            if (want != null && have != null && !want.equals(have)) {
                throw new IllegalArgumentException(
                        "checkpoint "
                                + checkpoint
                                + " does not fit the model rebuilt from the run's settings and"
                                + " data: parameter '"
                                + p.getKey()
                                + "' has shape "
                                + have
                                + " in the checkpoint but "
                                + want
                                + " in the model (did the data change, e.g. its vocabulary?);"
                                + " resume with the data the run started with, or start a new"
                                + " run");
            }
        }
    }
}
