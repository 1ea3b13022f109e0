package io.github.moge.lm.model;

import ai.djl.ndarray.NDArray;
import io.github.moge.core.ops.ScalarOps;

/**
 * How the output of each layer's feed-forward (MoE) sub-layer enters the residual stream: plainly
 * (SMoE), through heavy-ball momentum across layers (MomentumSMoE), or through an Adam-style step
 * in the first layer followed by heavy-ball momentum (AdamSMoE), as defined by Teo and Nguyen
 * (2024), "MomentumSMoE: Integrating Momentum into Sparse Mixture of Experts".
 *
 * <p>With a_l the layer's post-attention activations, u_l the (dropped-out) MoE output on a_l and
 * the layer output x_{l+1} = LayerNorm(a_l + s_l), the increment s_l is
 *
 * <pre>
 *   PLAIN:    s_l = u_l
 *   MOMENTUM: m_l = mu * m_{l-1} + gamma * u_l,  m_{-1} = 0;   s_l = m_l
 *   ADAM:     layer 0:  p = (1 - beta1) u_0,  v = (1 - beta2) u_0^2   (moments from zero)
 *                       s_0 = adamGamma * p / sqrt(v + eps),  m_0 = gamma * u_0
 *             layer l &gt;= 1: as MOMENTUM
 * </pre>
 *
 * The momentum buffer m travels from layer to layer within one forward pass (per token, not across
 * time). Defaults are the released ones: mu = 0.7, gamma = 1, adamGamma = 1, beta1 = 0.9, beta2 =
 * 0.999, eps = 1e-8. See docs/lm.md for the sign convention relative to the paper's
 * gradient-descent notation.
 */
public final class MomentumRule {

    /** The kind of update. */
    public enum Kind {
        /** x = LN(a + u): the standard SMoE residual. */
        PLAIN,
        /** Heavy-ball momentum across layers (MomentumSMoE). */
        MOMENTUM,
        /** Adam-style step in the first layer, heavy-ball momentum after it (AdamSMoE). */
        ADAM
    }

    private final Kind kind;
    private final float mu;
    private final float gamma;
    private final float adamGamma;
    private final float beta1;
    private final float beta2;
    private final float eps;

    private MomentumRule(Builder builder) {
        this.kind = builder.kind;
        this.mu = builder.mu;
        this.gamma = builder.gamma;
        this.adamGamma = builder.adamGamma;
        this.beta1 = builder.beta1;
        this.beta2 = builder.beta2;
        this.eps = builder.eps;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder (PLAIN, released defaults)
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the plain SMoE rule.
     *
     * @return the rule s_l = u_l
     */
    public static MomentumRule plain() {
        return builder().build();
    }

    /**
     * Computes one layer's increment and the momentum buffer it passes on.
     *
     * @param update u_l, the feed-forward output of layer l
     * @param momentum m_{l-1}, the buffer from the previous layer, or null before the first layer
     * @param layer the layer index l, from 0
     * @return the increment s_l and the buffer m_l (null for PLAIN)
     */
    public Step apply(NDArray update, NDArray momentum, int layer) {
        switch (kind) {
            case PLAIN:
                return new Step(update, null);
            case ADAM:
                if (layer == 0) {
                    NDArray first = ScalarOps.mul(update, 1f - beta1);
                    NDArray second = ScalarOps.mul(update.square(), 1f - beta2);
                    NDArray step = ScalarOps.mul(first.div(second.add(eps).sqrt()), adamGamma);
                    return new Step(step, heavyBall(update, momentum));
                }
                NDArray m = heavyBall(update, momentum);
                return new Step(m, m);
            case MOMENTUM:
            default:
                NDArray buffer = heavyBall(update, momentum);
                return new Step(buffer, buffer);
        }
    }

    private NDArray heavyBall(NDArray update, NDArray momentum) {
        NDArray scaled = ScalarOps.mul(update, gamma);
        return momentum == null ? scaled : ScalarOps.mul(momentum, mu).add(scaled);
    }

    /** {@return whether a momentum buffer is carried between layers} */
    public boolean carriesMomentum() {
        return kind != Kind.PLAIN;
    }

    /** {@return the kind} */
    public Kind getKind() {
        return kind;
    }

    /** {@return mu, the momentum coefficient} */
    public float getMu() {
        return mu;
    }

    /** {@return gamma, the step size of the heavy-ball update} */
    public float getGamma() {
        return gamma;
    }

    /** {@return the step size of the first-layer Adam update} */
    public float getAdamGamma() {
        return adamGamma;
    }

    @Override
    public String toString() {
        switch (kind) {
            case PLAIN:
                return "plain";
            case MOMENTUM:
                return "momentum(mu=" + mu + ", gamma=" + gamma + ")";
            default:
                return "adam(gamma1="
                        + adamGamma
                        + ", beta1="
                        + beta1
                        + ", beta2="
                        + beta2
                        + ", then momentum mu="
                        + mu
                        + ", gamma="
                        + gamma
                        + ")";
        }
    }

    /**
     * One layer's result: the increment added to the residual and the momentum buffer passed on.
     */
    public static final class Step {

        private final NDArray increment;
        private final NDArray momentum;

        Step(NDArray increment, NDArray momentum) {
            this.increment = increment;
            this.momentum = momentum;
        }

        /** {@return s_l, what is added to the residual stream} */
        public NDArray getIncrement() {
            return increment;
        }

        /** {@return m_l, the buffer for the next layer, or null for PLAIN} */
        public NDArray getMomentum() {
            return momentum;
        }
    }

    /** Builds a {@link MomentumRule}. */
    public static final class Builder {

        private Kind kind = Kind.PLAIN;
        private float mu = 0.7f;
        private float gamma = 1f;
        private float adamGamma = 1f;
        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float eps = 1e-8f;

        Builder() {}

        /**
         * Sets the kind (default PLAIN).
         *
         * @param kind the kind
         * @return this builder
         */
        public Builder setKind(Kind kind) {
            if (kind == null) {
                throw new IllegalArgumentException("kind must not be null");
            }
            this.kind = kind;
            return this;
        }

        /**
         * Sets mu (default 0.7).
         *
         * @param mu the momentum coefficient, 0 &lt;= mu &lt; 1
         * @return this builder
         */
        public Builder optMu(float mu) {
            if (!(mu >= 0 && mu < 1)) {
                throw new IllegalArgumentException("mu must be in [0, 1), got " + mu);
            }
            this.mu = mu;
            return this;
        }

        /**
         * Sets gamma, the heavy-ball step size (default 1).
         *
         * @param gamma &gt; 0
         * @return this builder
         */
        public Builder optGamma(float gamma) {
            this.gamma = positive("gamma", gamma);
            return this;
        }

        /**
         * Sets the first-layer Adam step size (default 1).
         *
         * @param adamGamma &gt; 0
         * @return this builder
         */
        public Builder optAdamGamma(float adamGamma) {
            this.adamGamma = positive("adamGamma", adamGamma);
            return this;
        }

        /**
         * Sets the Adam moment coefficients (defaults 0.9 and 0.999).
         *
         * @param beta1 first-moment coefficient in [0, 1)
         * @param beta2 second-moment coefficient in [0, 1)
         * @return this builder
         */
        public Builder optBetas(float beta1, float beta2) {
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException(
                        "beta1 and beta2 must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Builds the rule.
         *
         * @return the rule
         */
        public MomentumRule build() {
            return new MomentumRule(this);
        }

        private static float positive(String name, float value) {
            if (!(value > 0) || Float.isInfinite(value)) {
                throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
            }
            return value;
        }
    }
}
