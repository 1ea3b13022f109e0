package io.github.moge.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * AdamW: Adam with decoupled weight decay (PyTorch torch.optim.AdamW semantics, w = w (1 - lr wd) before the Adam step), whose moments and update counts can be saved and restored; see {@link StatefulOptimizer}.
 *
 * <pre>{@code
 * StatefulOptimizer optimizer = StatefulAdamW.builder()
 *         .optLearningRateTracker(Tracker.fixed(1e-3f))
 *         .optWeightDecays(0.05f)
 *         .build();
 * }</pre>
 *
 * <p>State per parameter: {@code (mean, variance)}, the first and second moments.
 */
public final class StatefulAdamW extends StatefulOptimizer {

    private final AdamRule rule;

    private StatefulAdamW(Builder builder) {
        super(builder);
        this.rule = new AdamRule(builder.beta1, builder.beta2, builder.epsilon, true);
    }

    /**
     * Creates a builder (beta1 0.9, beta2 0.999, epsilon 1e-8, no weight decay).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList createState(NDArray weight) {
        return rule.createState(weight);
    }

    /** {@inheritDoc} */
    @Override
    protected void apply(NDArray weight, NDArray grad, NDList state, int t, float learningRate) {
        try (NDArray g = preprocess(grad)) {
            rule.apply(weight, g, state, t, learningRate, weightDecay());
        }
    }

    /** Builds a {@link StatefulAdamW}. */
    public static final class Builder extends StatefulOptimizer.Builder<Builder> {

        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the decay of the first moment (default 0.9).
         *
         * @param beta1 in [0, 1)
         * @return this builder
         */
        public Builder optBeta1(float beta1) {
            this.beta1 = beta1;
            return this;
        }

        /**
         * Sets the decay of the second moment (default 0.999).
         *
         * @param beta2 in [0, 1)
         * @return this builder
         */
        public Builder optBeta2(float beta2) {
            this.beta2 = beta2;
            return this;
        }

        /**
         * Sets the term added to the denominator (default 1e-8).
         *
         * @param epsilon finite and &gt; 0
         * @return this builder
         */
        public Builder optEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         */
        public StatefulAdamW build() {
            return new StatefulAdamW(this);
        }
    }
}
