package io.github.moge.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.MoeBlock;
import org.junit.jupiter.api.Test;

/** The router's optional bias: h = x W + b, on hand values. */
class RouterBiasTest {

    @Test
    void biasIsAddedToTheLogitsAndChangesTheChoice() {
        try (NDManager m = NDManager.newBaseManager()) {
            Router router =
                    Router.builder()
                            .setExperts(3)
                            .setTopK(1)
                            .optOrder(RoutingOrder.TOPK_THEN_SOFTMAX)
                            .optBias(true)
                            .build();
            router.initialize(m, DataType.FLOAT32, new Shape(2, 2));
            assertEquals(new Shape(3), router.getBias().getArray().getShape());
            // A bias starts at zero.
            assertArrayEquals(new float[3], router.getBias().getArray().toFloatArray(), 0f);
            // W = [[1, 0, 0], [0, 1, 0]], b = [0, 0, 5].
            router.getGate().getArray().set(new float[] {1f, 0f, 0f, 0f, 1f, 0f});
            router.getBias().getArray().set(new float[] {0f, 0f, 5f});
            NDArray x = m.create(new float[] {1f, 2f, 3f, -1f}, new Shape(2, 2));
            RoutingResult result = router.route(new ParameterStore(m, false), x, false);
            // h = x W + b = [[1, 2, 5], [3, -1, 5]].
            assertArrayEquals(
                    new float[] {1f, 2f, 5f, 3f, -1f, 5f},
                    result.getLogits().toFloatArray(),
                    1e-6f);
            assertArrayEquals(new long[] {2, 2}, result.getExperts().toLongArray());
            // The diagnostics' path to the routing input gives the same logits.
            assertArrayEquals(
                    result.getLogits().toFloatArray(),
                    router.logits(x, router.getGate().getArray()).toFloatArray(),
                    0f);
        }
    }

    @Test
    void noBiasByDefault() {
        Router router = Router.builder().setExperts(3).setTopK(1).build();
        assertNull(router.getBias());
        assertEquals(1, router.getDirectParameters().size());
        MoeBlock plain = MoeBlock.builder().setExperts(4).setHiddenSize(2).build();
        assertNull(plain.getRouter().getBias());
        MoeBlock biased =
                MoeBlock.builder().setExperts(4).setHiddenSize(2).optRouterBias(true).build();
        assertNotNull(biased.getRouter().getBias());
        assertNotNull(
                MoeBlock.builder()
                        .setExperts(4)
                        .setHiddenSize(2)
                        .optRouterBias(true)
                        .copy()
                        .build()
                        .getRouter()
                        .getBias());
    }
}
