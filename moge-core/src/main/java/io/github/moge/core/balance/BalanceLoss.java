package io.github.moge.core.balance;

import ai.djl.ndarray.NDArray;
import io.github.moge.core.routing.RoutingResult;

/**
 * An auxiliary load-balancing loss computed from the routing decisions of one MoE layer.
 *
 * <p>Implementations are stateless and differentiable with respect to the gate (through the logits
 * and the routing input of the {@link RoutingResult}); the returned array lives on the routing
 * arrays' manager and device.
 */
public interface BalanceLoss {

    /**
     * Computes the loss for one batch of routed tokens.
     *
     * @param routing the routing result of the batch (N tokens, E experts, top-k)
     * @return a scalar (shape []) of the routing input's data type
     * @throws IllegalArgumentException if the routing arrays have inconsistent shapes, or fewer
     *     than two experts or one token
     */
    NDArray compute(RoutingResult routing);

    /**
     * Returns a short name of the loss, suitable as a metric name.
     *
     * @return the name
     */
    String getName();
}
