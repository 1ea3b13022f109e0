package io.github.moge.core.balance;

import ai.djl.ndarray.NDArray;
import io.github.moge.core.ops.ScalarOps;
import io.github.moge.core.routing.RoutingResult;

/**
 * The V-MoE auxiliary loss (Riquelme et al., 2021), the mean of an importance loss and a load loss.
 *
 * <p>With clean logits h(x) (shape [N, E]), routing input z(x) = softmax(h(x)), noisy logits h~(x)
 * on which the top-k was taken, and tau_k(x) the k-th largest noisy logit of token x:
 *
 * <pre>
 *   Imp_i   = sum_x z_i(x)                                  L_imp  = (std(Imp)  / mean(Imp))^2
 *   p_i(x)  = 1 - Phi((tau_k(x) - h_i(x)) / noiseStd)
 *   load_i  = sum_x p_i(x)                                  L_load = (std(load) / mean(load))^2
 *   loss    = (L_imp + L_load) / 2
 * </pre>
 *
 * <p>p_i(x) is the probability that expert i would still be among the top k if the noise on its own
 * logit were redrawn, the other noisy logits fixed. std is the unbiased sample standard deviation
 * over the E experts (divisor E - 1, like torch's default), and each squared coefficient of
 * variation is computed as var / (mean^2 + 1e-10) so an all-zero vector cannot divide by zero.
 * noiseStd defaults to 1/E, the standard deviation of the router's training noise. Gradients flow
 * through h (both terms) and through tau_k (from the noisy logits, which are not detached). 1 -
 * Phi(t) is evaluated as Phi(-t) to keep its relative accuracy in the tail.
 *
 * <p>{@link LoadForm#TUTEL} computes the load term as the authors' copy of Tutel does, on
 * probabilities: p_i(x) = Phi((z_i(x) - tau_k(x)) / noiseStd) with tau_k(x) the k-th largest of
 * softmax(h~(x)), the noisy top-k scores. It is much weaker than V-MoE's form (probability
 * differences are far smaller than logit differences); V-MoE's is the paper's citation and the
 * default.
 */
public final class ImportanceLoadLoss implements BalanceLoss {

    /** How the load term estimates each expert's chance of being chosen. */
    public enum LoadForm {
        /**
         * V-MoE: 1 - Phi((tau_k - h_i) / noiseStd) on logits, tau_k the k-th largest noisy logit.
         */
        V_MOE,
        /**
         * The authors' Tutel: Phi((z_i - tau_k) / noiseStd) on probabilities, tau_k from
         * softmax(h~).
         */
        TUTEL
    }

    /** Added to the squared mean before dividing. */
    static final double EPSILON = 1e-10;

    private final double noiseStd;
    private final LoadForm loadForm;

    /** Creates the loss with the default noise standard deviation 1/E. */
    public ImportanceLoadLoss() {
        this(builder());
    }

    private ImportanceLoadLoss(Builder builder) {
        this.noiseStd = builder.noiseStd;
        this.loadForm = builder.loadForm;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder with the defaults (noise standard deviation 1/E)
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray compute(RoutingResult routing) {
        NDArray sum = importanceLoss(routing).add(loadLoss(routing));
        return ScalarOps.mul(sum, 0.5);
    }

    /**
     * Returns L_imp = (std(Imp) / mean(Imp))^2 with Imp_i = sum over tokens of z_i.
     *
     * @param routing the routing result
     * @return a scalar of the routing input's data type
     * @throws IllegalArgumentException if the routing arrays have inconsistent shapes, or E &lt; 2
     */
    public NDArray importanceLoss(RoutingResult routing) {
        RoutingShapes.check(routing);
        return squaredCoefficientOfVariation(routing.getRoutingInput().sum(new int[] {0}));
    }

    /**
     * Returns L_load = (std(load) / mean(load))^2 with load_i = sum over tokens of 1 -
     * Phi((tau_k(x) - h_i(x)) / noiseStd), or of the {@link LoadForm#TUTEL} form.
     *
     * @param routing the routing result
     * @return a scalar of the logits' data type
     * @throws IllegalArgumentException if the routing arrays have inconsistent shapes, or E &lt; 2
     */
    public NDArray loadLoss(RoutingResult routing) {
        RoutingShapes.check(routing);
        int k = routing.topK();
        double std = getNoiseStd(routing.numExperts());
        boolean tutel = loadForm == LoadForm.TUTEL;
        NDArray scores = tutel ? routing.getRoutingInput() : routing.getLogits();
        NDArray noisy = tutel ? routing.getNoisyLogits().softmax(1) : routing.getNoisyLogits();
        // k-th largest noisy score of each token, as a column [N, 1]
        NDArray tau = noisy.topK(k, 1, true, true).get(0).get(":, " + (k - 1)).expandDims(1);
        // V-MoE: 1 - Phi((tau - h) / std) = Phi((h - tau) / std); Tutel: Phi((z - tau) / std)
        NDArray probability = NormalCdf.cdf(ScalarOps.div(scores.sub(tau), std));
        return squaredCoefficientOfVariation(probability.sum(new int[] {0}));
    }

    /** {@return the form of the load term} */
    public LoadForm getLoadForm() {
        return loadForm;
    }

    /**
     * Returns the noise standard deviation used for E experts: the configured value, or 1/E by
     * default.
     *
     * @param numExperts the number of experts E
     * @return the standard deviation of the noise in the load estimate
     */
    public double getNoiseStd(int numExperts) {
        return Double.isNaN(noiseStd) ? 1.0 / numExperts : noiseStd;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "importance_load";
    }

    /** (std / mean)^2 over a vector of length E &gt;= 2, std unbiased, as var / (mean^2 + eps). */
    static NDArray squaredCoefficientOfVariation(NDArray v) {
        long e = v.getShape().get(0);
        NDArray mean = v.mean();
        NDArray variance = ScalarOps.div(v.sub(mean).square().sum(), e - 1);
        // add(EPSILON) of a 0-dim float32 with a Java double promotes to float64: cast back
        return variance.div(mean.square().add(EPSILON)).toType(v.getDataType(), false);
    }

    /** Builder of {@link ImportanceLoadLoss}. */
    public static final class Builder {

        private double noiseStd = Double.NaN;
        private LoadForm loadForm = LoadForm.V_MOE;

        private Builder() {}

        /**
         * Sets the form of the load term (default {@link LoadForm#V_MOE}).
         *
         * @param loadForm V-MoE's or the authors' Tutel form
         * @return this builder
         */
        public Builder optLoadForm(LoadForm loadForm) {
            if (loadForm == null) {
                throw new IllegalArgumentException("loadForm must not be null");
            }
            this.loadForm = loadForm;
            return this;
        }

        /**
         * Sets the standard deviation of the noise in the load estimate (default: 1/E).
         *
         * @param noiseStd a finite value &gt; 0
         * @return this builder
         * @throws IllegalArgumentException if {@code noiseStd} is not finite and positive
         */
        public Builder optNoiseStd(double noiseStd) {
            if (!(noiseStd > 0) || Double.isInfinite(noiseStd)) {
                throw new IllegalArgumentException(
                        "noiseStd must be finite and > 0, got " + noiseStd);
            }
            this.noiseStd = noiseStd;
            return this;
        }

        /**
         * Builds the loss.
         *
         * @return the loss
         */
        public ImportanceLoadLoss build() {
            return new ImportanceLoadLoss(this);
        }
    }
}
