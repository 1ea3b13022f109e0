package io.github.moge.core.training.optim;

/**
 * AdamW: Adam with decoupled weight decay (PyTorch torch.optim.AdamW semantics, w = w (1 - lr wd)
 * before the Adam step), whose moments and update counts can be saved and restored; see {@link
 * StatefulOptimizer}.
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
public final class StatefulAdamW extends AbstractStatefulAdam {

    private StatefulAdamW(Builder builder) {
        super(builder, true);
    }

    /**
     * Creates a builder (beta1 0.9, beta2 0.999, epsilon 1e-8, no weight decay).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link StatefulAdamW}. */
    public static final class Builder extends AbstractStatefulAdam.Builder<Builder> {

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
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
