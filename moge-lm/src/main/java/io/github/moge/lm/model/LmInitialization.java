package io.github.moge.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import io.github.moge.core.experts.StackedExperts;
import io.github.moge.core.routing.Router;
import java.util.Locale;

/**
 * How the linear maps of a language model start: DJL's default initialisers or PyTorch's {@code
 * nn.Linear} default, which the MomentumSMoE reference keeps.
 *
 * <p>{@link #TORCH} is Kaiming-uniform with a = sqrt(5): every weight of fan-in n (its layer's
 * input width) drawn from U(-1/sqrt(n), 1/sqrt(n)), variance 1/(3n), and every bias of that layer
 * from the same interval. It covers the attention projections and the output layer ({@code Linear},
 * weight [out, in]), the experts ({@link StackedExperts}, w1 [E, d, h] and w2 [E, h, d], fan-in d
 * and h, biases b1 and b2) and the router ({@link Router}, gate [d, E], fan-in d, and its bias if
 * it has one). The embedding and the relative position vectors keep N(0, 1) (PyTorch's {@code
 * nn.Embedding} default and the reference's {@code randn}), LayerNorm keeps weight 1, bias 0.
 */
public enum LmInitialization {
    /** DJL's defaults: Gaussian with std sqrt(2 / fan-in) for weights, zero biases. */
    DJL,
    /** PyTorch's {@code nn.Linear} default, Kaiming-uniform (a = sqrt(5)), as the reference. */
    TORCH;

    /** {@return the command-line name, e.g. {@code torch}} */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Sets the initialisers of a model that is not yet initialised ({@link #DJL} leaves them).
     *
     * @param model the model or any block of it
     * @return the model
     */
    public Block apply(Block model) {
        if (this == TORCH) {
            setTorchDefaults(model);
        }
        return model;
    }

    private static void setTorchDefaults(Block block) {
        if (block instanceof Linear) {
            // Linear's weight is [out, in].
            fanIn(block, "weight", 1, "bias");
        } else if (block instanceof StackedExperts) {
            // Stacked weights are [E, in, out].
            fanIn(block, "w1", 1, "b1");
            fanIn(block, "w2", 1, "b2");
        } else if (block instanceof Router) {
            // The gate is [d, E].
            fanIn(block, "gate", 0, "bias");
        }
        for (Pair<String, Block> child : block.getChildren()) {
            setTorchDefaults(child.getValue());
        }
    }

    private static void fanIn(Block block, String weightName, int fanInAxis, String biasName) {
        Parameter weight = null;
        Parameter bias = null;
        for (Pair<String, Parameter> pair : block.getDirectParameters()) {
            if (pair.getKey().equals(weightName)) {
                weight = pair.getValue();
            } else if (pair.getKey().equals(biasName)) {
                bias = pair.getValue();
            }
        }
        if (weight == null) {
            throw new IllegalStateException(
                    "no parameter '" + weightName + "' in " + block.getClass().getSimpleName());
        }
        Initializer uniform = new FanInUniform(weight, fanInAxis);
        weight.setInitializer(uniform);
        if (bias != null) {
            bias.setInitializer(uniform);
        }
    }

    /**
     * U(-1/sqrt(n), 1/sqrt(n)) with n the fan-in read from the layer's weight shape, which the
     * block sets for all its parameters before it initialises any of them.
     */
    private record FanInUniform(Parameter weight, int fanInAxis) implements Initializer {
        @Override
        public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
            float bound = (float) (1.0 / Math.sqrt(weight.getShape().get(fanInAxis)));
            return manager.randomUniform(-bound, bound, shape, dataType, manager.getDevice());
        }
    }
}
