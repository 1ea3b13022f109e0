package io.github.moge.core.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * A top-k gate: maps N tokens of width d to combine weights and expert indices for E experts.
 *
 * <p>The gate is one weight matrix {@code "gate"} of shape [d, E] (d is inferred from the input
 * shape [N, d]) and, only with {@link Builder#optBias}, a bias {@code "bias"} [E]. The logits are h
 * = x · gate (+ bias). The routing input z = softmax(h) over all E experts is always computed from
 * the clean logits (it is what the group-sparse regularizer sees). How the combine weights are
 * formed depends on the {@link RoutingOrder}:
 *
 * <ul>
 *   <li>{@link RoutingOrder#SOFTMAX_THEN_TOPK}: in training with noise enabled, Gaussian noise N(0,
 *       (1/E)^2) is added to the logits; the weights are the k largest entries of the softmax of
 *       the (noisy) logits, optionally renormalised to sum to one.
 *   <li>{@link RoutingOrder#TOPK_THEN_SOFTMAX}: the k largest (noisy) logits are selected and the
 *       weights are their softmax over those k.
 * </ul>
 *
 * <p>The weight matrix is initialised like a DJL {@code Linear} layer of d inputs (Gaussian with
 * standard deviation sqrt(2 / d)); override with {@link #setInitializer}.
 *
 * <p>{@link #forward} returns {@code NDList(weights [N, k], experts [N, k] int64, z [N, E])}; use
 * {@link #route} to obtain the full {@link RoutingResult} including the (noisy) logits.
 */
public class Router extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int numExperts;
    private final int topK;
    private final RoutingOrder order;
    private final boolean trainingNoise;
    private final boolean renormalize;
    private final Parameter gate;
    private final Parameter bias;

    Router(Builder builder) {
        super(VERSION);
        this.numExperts = builder.numExperts;
        this.topK = builder.topK;
        this.order = builder.order;
        this.trainingNoise = builder.trainingNoise;
        this.renormalize = builder.renormalize;
        this.gate =
                addParameter(
                        Parameter.builder()
                                .setName("gate")
                                .setType(Parameter.Type.WEIGHT)
                                .optInitializer(
                                        new XavierInitializer(
                                                XavierInitializer.RandomType.GAUSSIAN,
                                                XavierInitializer.FactorType.OUT,
                                                2))
                                .build());
        // Only a router with a bias has the parameter, so bias-free models keep their names.
        this.bias =
                builder.bias
                        ? addParameter(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .build())
                        : null;
    }

    /**
     * Returns a new builder for a {@link Router}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Routes a batch of tokens.
     *
     * @param parameterStore the parameter store holding the gate weights
     * @param x the token representations, shape [N, d]
     * @param training whether this is a training pass (enables the routing noise when configured)
     * @return the routing decision; every array lives on {@code x}'s manager and device
     */
    public RoutingResult route(ParameterStore parameterStore, NDArray x, boolean training) {
        if (x.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "Router expects input of shape [N, d], got " + x.getShape());
        }
        NDArray weight = parameterStore.getValue(gate, x.getDevice(), training);
        NDArray logits = x.matMul(weight);
        if (bias != null) {
            logits = logits.add(parameterStore.getValue(bias, x.getDevice(), training));
        }
        NDArray noisy = logits;
        if (training && trainingNoise) {
            NDManager manager = x.getManager();
            NDArray noise =
                    manager.randomNormal(
                            0f,
                            1f / numExperts,
                            logits.getShape(),
                            logits.getDataType(),
                            x.getDevice());
            noisy = logits.add(noise);
        }
        NDArray routingInput = routingInput(logits);
        NDArray weights;
        NDArray experts;
        if (order == RoutingOrder.SOFTMAX_THEN_TOPK) {
            NDArray probs = noisy == logits ? routingInput : noisy.softmax(-1);
            NDList top = probs.topK(topK, -1, true, true);
            weights = top.get(0);
            experts = top.get(1);
            if (renormalize) {
                weights = weights.div(weights.sum(new int[] {-1}, true));
            }
        } else {
            NDList top = noisy.topK(topK, -1, true, true);
            weights = top.get(0).softmax(-1);
            experts = top.get(1);
        }
        if (experts.getDataType() != DataType.INT64) {
            experts = experts.toType(DataType.INT64, false);
        }
        return new RoutingResult(logits, noisy, routingInput, weights, experts);
    }

    /**
     * Returns the clean logits h = x · gate (+ bias, with its gradient stopped, when the router has
     * one) for a given gate weight: the differentiable path from the gate to the routing input that
     * {@link #route} takes, exposed so diagnostics can differentiate it with respect to a copy of
     * the gate.
     *
     * @param x the tokens, shape [N, d]
     * @param gateWeight the gate weight, shape [d, E]
     * @return the logits, shape [N, E]
     */
    public NDArray logits(NDArray x, NDArray gateWeight) {
        NDArray logits = x.matMul(gateWeight);
        return bias == null ? logits : logits.add(bias.getArray().stopGradient());
    }

    /**
     * Returns the routing input z = softmax(h) over all E experts, from the clean logits.
     *
     * @param logits the clean logits, shape [N, E]
     * @return z, shape [N, E]
     */
    public static NDArray routingInput(NDArray logits) {
        return logits.softmax(-1);
    }

    /**
     * Returns the gate weight parameter {@code "gate"}, shape [d, E].
     *
     * @return the parameter
     */
    public Parameter getGate() {
        return gate;
    }

    /**
     * Returns the bias parameter {@code "bias"}, shape [E], or null for a router without one.
     *
     * @return the parameter, or null
     */
    public Parameter getBias() {
        return bias;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Returns {@code NDList(weights [N, k], experts [N, k] int64, z [N, E])}.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        RoutingResult result = route(parameterStore, inputs.singletonOrThrow(), training);
        return new NDList(result.getWeights(), result.getExperts(), result.getRoutingInput());
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long n = inputShapes[0].get(0);
        return new Shape[] {new Shape(n, topK), new Shape(n, topK), new Shape(n, numExperts)};
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape input = inputShapes[0];
        if (input.dimension() != 2) {
            throw new IllegalArgumentException(
                    "Router expects input of shape [N, d], got " + input);
        }
        gate.setShape(new Shape(input.get(1), numExperts));
        if (bias != null) {
            bias.setShape(new Shape(numExperts));
        }
    }

    /**
     * Returns the number of experts E.
     *
     * @return the number of experts
     */
    public int getNumExperts() {
        return numExperts;
    }

    /**
     * Returns k, the number of experts each token is routed to.
     *
     * @return the top-k
     */
    public int getTopK() {
        return topK;
    }

    /**
     * Returns the order of softmax and top-k selection.
     *
     * @return the routing order
     */
    public RoutingOrder getOrder() {
        return order;
    }

    /**
     * Returns whether Gaussian noise N(0, (1/E)^2) is added to the logits in training.
     *
     * @return whether training noise is on
     */
    public boolean isTrainingNoise() {
        return trainingNoise;
    }

    /**
     * Returns whether the top-k softmax probabilities are renormalised to sum to one (only used
     * with {@link RoutingOrder#SOFTMAX_THEN_TOPK}).
     *
     * @return whether weights are renormalised
     */
    public boolean isRenormalize() {
        return renormalize;
    }

    /** The builder for a {@link Router}. */
    public static final class Builder {

        private int numExperts;
        private int topK;
        private RoutingOrder order = RoutingOrder.SOFTMAX_THEN_TOPK;
        private boolean trainingNoise;
        private boolean renormalize;
        private boolean bias;

        Builder() {}

        /**
         * Sets the number of experts E (required, at least 1).
         *
         * @param numExperts the number of experts
         * @return this builder
         */
        public Builder setExperts(int numExperts) {
            this.numExperts = numExperts;
            return this;
        }

        /**
         * Sets k, the number of experts per token (required, 1 to E).
         *
         * @param topK the number of experts each token is routed to
         * @return this builder
         */
        public Builder setTopK(int topK) {
            this.topK = topK;
            return this;
        }

        /**
         * Sets the order of softmax and top-k; defaults to {@link RoutingOrder#SOFTMAX_THEN_TOPK}.
         *
         * @param order the routing order
         * @return this builder
         */
        public Builder optOrder(RoutingOrder order) {
            this.order = order;
            return this;
        }

        /**
         * Sets whether N(0, (1/E)^2) noise is added to the logits in training; defaults to false.
         *
         * @param trainingNoise whether to add noise in training
         * @return this builder
         */
        public Builder optTrainingNoise(boolean trainingNoise) {
            this.trainingNoise = trainingNoise;
            return this;
        }

        /**
         * Sets whether the chosen softmax probabilities are renormalised to sum to one (only for
         * {@link RoutingOrder#SOFTMAX_THEN_TOPK}); defaults to false.
         *
         * @param renormalize whether to renormalise the weights
         * @return this builder
         */
        public Builder optRenormalize(boolean renormalize) {
            this.renormalize = renormalize;
            return this;
        }

        /**
         * Gives the gate a per-expert bias {@code "bias"} [E], h = x · gate + bias, as a PyTorch
         * {@code Linear} gate; defaults to false (no bias). It starts at zero unless another
         * initialiser is set.
         *
         * @param bias whether the gate has a bias
         * @return this builder
         */
        public Builder optBias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /**
         * Builds the router.
         *
         * @return a new router
         * @throws IllegalArgumentException if experts &lt; 1, topK is not in [1, experts] or the
         *     order is null
         */
        public Router build() {
            if (numExperts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + numExperts);
            }
            if (topK < 1 || topK > numExperts) {
                throw new IllegalArgumentException(
                        "topK must be in [1, experts=" + numExperts + "], got " + topK);
            }
            if (order == null) {
                throw new IllegalArgumentException(
                        "order must be one of "
                                + Arrays.toString(RoutingOrder.values())
                                + ", got null");
            }
            return new Router(this);
        }
    }
}
