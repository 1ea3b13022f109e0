package io.github.moge.core.balance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.moge.core.routing.RoutingResult;

/** Shape checks shared by the balancing losses. */
final class RoutingShapes {

    private RoutingShapes() {}

    /**
     * Checks that the routing arrays are consistent: logits, noisy logits and routing input of
     * shape [N, E] with N &gt;= 1 and E &gt;= 2, experts of shape [N, k] with 1 &lt;= k &lt;= E.
     */
    static void check(RoutingResult routing) {
        if (routing == null) {
            throw new IllegalArgumentException("routing must not be null");
        }
        Shape logits = routing.getLogits().getShape();
        if (logits.dimension() != 2) {
            throw new IllegalArgumentException("logits must have shape [N, E], got " + logits);
        }
        long n = logits.get(0);
        long e = logits.get(1);
        if (n < 1) {
            throw new IllegalArgumentException("numTokens N must be >= 1, got " + n);
        }
        if (e < 2) {
            throw new IllegalArgumentException(
                    "numExperts E must be >= 2 for a balancing loss, got " + e);
        }
        checkSame("noisyLogits", routing.getNoisyLogits(), logits);
        checkSame("routingInput", routing.getRoutingInput(), logits);
        Shape experts = routing.getExperts().getShape();
        if (experts.dimension() != 2 || experts.get(0) != n) {
            throw new IllegalArgumentException(
                    "experts must have shape [N, k] with N = " + n + ", got " + experts);
        }
        long k = experts.get(1);
        if (k < 1 || k > e) {
            throw new IllegalArgumentException("topK k must be in [1, E = " + e + "], got " + k);
        }
    }

    private static void checkSame(String name, NDArray array, Shape expected) {
        if (array == null || !array.getShape().equals(expected)) {
            throw new IllegalArgumentException(
                    name
                            + " must have the logits' shape "
                            + expected
                            + ", got "
                            + (array == null ? "null" : array.getShape()));
        }
    }
}
