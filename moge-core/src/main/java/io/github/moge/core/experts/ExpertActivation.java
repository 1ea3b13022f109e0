package io.github.moge.core.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The activation between the two linear maps of an expert ({@link StackedExperts}); dropout, when
 * set, follows it in both cases.
 */
public enum ExpertActivation {
    /** GELU (exact, erf form): the default, shared with the vision models. */
    GELU,
    /** ReLU: the MomentumSMoE language-model reference (ReLU, then dropout). */
    RELU;

    /**
     * Applies the activation element-wise.
     *
     * @param input the pre-activations
     * @return the activations
     */
    public NDArray apply(NDArray input) {
        return this == RELU ? Activation.relu(input) : Activation.gelu(input);
    }
}
