package io.github.moge.core.routing;

import ai.djl.ndarray.NDArray;

/**
 * What a {@link Router} decides for a batch of N tokens routed among E experts with top-k.
 *
 * <p>All arrays live on the device and manager of the routed input. Nothing here is detached:
 * gradients flow from the combine weights and the routing input back to the gate.
 */
public final class RoutingResult {

    private final NDArray logits;
    private final NDArray noisyLogits;
    private final NDArray routingInput;
    private final NDArray weights;
    private final NDArray experts;

    /**
     * Creates a routing result.
     *
     * @param logits the clean gate logits h = W x, shape [N, E]
     * @param noisyLogits the logits the top-k was taken on (equal to {@code logits} when no noise
     *     was added), shape [N, E]
     * @param routingInput z = softmax(h) over all E experts, the input of the group-sparse
     *     regularizer, shape [N, E]
     * @param weights the combine weights of the chosen experts, shape [N, k], largest first
     * @param experts the chosen expert indices (int64), shape [N, k], aligned with {@code weights}
     */
    public RoutingResult(
            NDArray logits,
            NDArray noisyLogits,
            NDArray routingInput,
            NDArray weights,
            NDArray experts) {
        this.logits = logits;
        this.noisyLogits = noisyLogits;
        this.routingInput = routingInput;
        this.weights = weights;
        this.experts = experts;
    }

    /** {@return the clean gate logits h = W x, shape [N, E]} */
    public NDArray getLogits() {
        return logits;
    }

    /**
     * {@return the logits the top-k selection used (noisy in training when noise is on), shape [N,
     * E]}
     */
    public NDArray getNoisyLogits() {
        return noisyLogits;
    }

    /** {@return z = softmax(h) over all experts, shape [N, E]: the input of the regularizer} */
    public NDArray getRoutingInput() {
        return routingInput;
    }

    /** {@return the combine weights of the chosen experts, shape [N, k], largest first} */
    public NDArray getWeights() {
        return weights;
    }

    /** {@return the chosen expert indices (int64), shape [N, k]} */
    public NDArray getExperts() {
        return experts;
    }

    /** {@return the number of experts E} */
    public int numExperts() {
        return (int) logits.getShape().get(1);
    }

    /** {@return k, the number of experts each token is routed to} */
    public int topK() {
        return (int) experts.getShape().get(1);
    }

    /** {@return the number of routed tokens N} */
    public int numTokens() {
        return (int) logits.getShape().get(0);
    }
}
