package io.github.moge.core.balance;

import ai.djl.ndarray.NDArray;
import io.github.moge.core.ops.ScalarOps;
import io.github.moge.core.routing.RoutingResult;

/**
 * The Switch Transformer load-balancing loss (Fedus et al., 2021), generalised to top-k.
 *
 * <pre>
 *   loss = E * sum_i f_i P_i
 * </pre>
 *
 * <p>f_i is the share of the N*k top-k assignments (all k choices of every token, from {@link
 * RoutingResult#getExperts()}) that go to expert i, and carries no gradient; P_i is the mean over
 * tokens of the routing input z_i = softmax(h)_i. Under uniform routing (f_i = P_i = 1/E) the loss
 * is exactly 1, its minimum over f for uniform P.
 */
public final class SwitchLoss implements BalanceLoss {

    /** Creates the loss; it has no settings. */
    public SwitchLoss() {}

    /** {@inheritDoc} */
    @Override
    public NDArray compute(RoutingResult routing) {
        RoutingShapes.check(routing);
        NDArray z = routing.getRoutingInput();
        int e = routing.numExperts();
        long assignments = (long) routing.numTokens() * routing.topK();
        NDArray fraction =
                routing.getExperts()
                        .reshape(-1)
                        .oneHot(e, z.getDataType())
                        .sum(new int[] {0})
                        .div(assignments)
                        .stopGradient();
        NDArray meanProbability = z.mean(new int[] {0});
        return ScalarOps.mul(fraction.mul(meanProbability).sum(), e);
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "switch";
    }
}
