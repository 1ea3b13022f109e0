package io.github.moge.core.training.optim;

/**
 * Adam with an L2 penalty added to the gradient (PyTorch torch.optim.Adam semantics), whose moments
 * and update counts can be saved and restored; see {@link StatefulOptimizer}.
 *
 * <pre>{@code
 * StatefulOptimizer optimizer = StatefulAdam.builder()
 *         .optLearningRateTracker(Tracker.fixed(1e-3f))
 *         .optWeightDecays(0.05f)
 *         .build();
 * }</pre>
 *
 * <p>State per parameter: {@code (mean, variance)}, the first and second moments.
 */
public final class StatefulAdam extends AbstractStatefulAdam {

    private StatefulAdam(Builder builder) {
        super(builder, false);
    }

    /**
     * Creates a builder (beta1 0.9, beta2 0.999, epsilon 1e-8, no weight decay).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link StatefulAdam}. */
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
        public StatefulAdam build() {
            return new StatefulAdam(this);
        }
    }
}
