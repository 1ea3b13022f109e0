package io.github.moge.core.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The Adam update shared by {@link StatefulAdam} (L2 penalty added to the gradient) and {@link
 * StatefulAdamW} (decoupled weight decay): moments {@code (mean, variance)} per parameter, bias
 * correction, PyTorch's update rule. The two differ only in how weight decay enters.
 */
public abstract class AbstractStatefulAdam extends StatefulOptimizer {

    private final AdamRule rule;

    /**
     * Creates the optimizer.
     *
     * @param builder the settings
     * @param decoupledWeightDecay true for AdamW's decoupled decay, false for an L2 term in the
     *     gradient
     */
    protected AbstractStatefulAdam(Builder<?> builder, boolean decoupledWeightDecay) {
        super(builder);
        this.rule =
                new AdamRule(
                        builder.beta1,
                        builder.beta2,
                        builder.epsilon,
                        decoupledWeightDecay,
                        builder.chunkElements);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList createState(NDArray weight) {
        return rule.createState(weight);
    }

    /** {@inheritDoc} */
    @Override
    protected void apply(NDArray weight, NDArray grad, NDList state, int t, float learningRate) {
        rule.apply(weight, preprocess(grad), state, t, learningRate, weightDecay());
    }

    /**
     * The settings of the Adam family (beta1 0.9, beta2 0.999, epsilon 1e-8 by default).
     *
     * @param <T> the concrete builder
     */
    public abstract static class Builder<T extends Builder<T>>
            extends StatefulOptimizer.Builder<T> {

        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;
        private long chunkElements = AdamRule.CHUNK_ELEMENTS;

        /**
         * Sets the decay of the first moment (default 0.9).
         *
         * @param beta1 in [0, 1)
         * @return this builder
         */
        public T optBeta1(float beta1) {
            this.beta1 = requireDecay("beta1", beta1);
            return self();
        }

        /**
         * Sets the decay of the second moment (default 0.999).
         *
         * @param beta2 in [0, 1)
         * @return this builder
         */
        public T optBeta2(float beta2) {
            this.beta2 = requireDecay("beta2", beta2);
            return self();
        }

        /**
         * Sets the term added to the denominator (default 1e-8).
         *
         * @param epsilon finite and &gt; 0
         * @return this builder
         */
        public T optEpsilon(float epsilon) {
            if (!(epsilon > 0) || Float.isInfinite(epsilon)) {
                throw new IllegalArgumentException(
                        "epsilon must be finite and > 0, got " + epsilon);
            }
            this.epsilon = epsilon;
            return self();
        }

        /**
         * Sets the elements per slice of the CPU update (tests use small slices so that small
         * arrays are sliced too).
         *
         * @param elements at least 1
         * @return this builder
         */
        T chunkElements(long elements) {
            this.chunkElements = elements;
            return self();
        }

        private static float requireDecay(String field, float value) {
            if (!(value >= 0 && value < 1)) {
                throw new IllegalArgumentException(field + " must be in [0, 1), got " + value);
            }
            return value;
        }
    }
}
