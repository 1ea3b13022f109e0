package io.github.moge.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

class RouterTest {

    // x [2, 3], gate [3, 4].
    private static final double[][] X = {{1.0, 0.0, 0.5}, {-1.0, 1.0, 0.25}};
    private static final double[][] GATE = {
        {0.1, 0.5, -0.2, 0.3},
        {0.4, -0.1, 0.2, 0.0},
        {-0.6, 0.8, 0.1, 0.2}
    };

    private static double[][] logits() {
        double[][] h = new double[2][4];
        for (int t = 0; t < 2; t++) {
            for (int e = 0; e < 4; e++) {
                for (int i = 0; i < 3; i++) {
                    h[t][e] += X[t][i] * GATE[i][e];
                }
            }
        }
        return h;
    }

    private static double[] softmax(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double a : v) {
            max = Math.max(max, a);
        }
        double sum = 0;
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.exp(v[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < v.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    private static Router initialized(NDManager m, Router router) {
        router.initialize(m, DataType.FLOAT32, new Shape(2, 3));
        float[] g = new float[12];
        for (int i = 0; i < 3; i++) {
            for (int e = 0; e < 4; e++) {
                g[i * 4 + e] = (float) GATE[i][e];
            }
        }
        router.getParameters().get("gate").getArray().set(g);
        return router;
    }

    private static NDArray x(NDManager m) {
        return m.create(
                new float[] {
                    (float) X[0][0],
                    (float) X[0][1],
                    (float) X[0][2],
                    (float) X[1][0],
                    (float) X[1][1],
                    (float) X[1][2]
                },
                new Shape(2, 3));
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, what + "[" + i + "]");
        }
    }

    @Test
    void handExampleBothOrders() {
        // h row 0 = [-0.2, 0.9, -0.15, 0.4] -> top-2 experts [1, 3]
        // h row 1 = [0.15, -0.4, 0.425, -0.25] -> top-2 experts [2, 0]
        double[][] h = logits();
        assertEquals(0.9, h[0][1], 1e-12);
        assertEquals(0.425, h[1][2], 1e-12);
        long[] expectedExperts = {1, 3, 2, 0};
        double[] z0 = softmax(h[0]);
        double[] z1 = softmax(h[1]);
        double[] expectedZ = {z0[0], z0[1], z0[2], z0[3], z1[0], z1[1], z1[2], z1[3]};
        try (NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);

            Router softmaxFirst = initialized(m, Router.builder().setExperts(4).setTopK(2).build());
            assertEquals(RoutingOrder.SOFTMAX_THEN_TOPK, softmaxFirst.getOrder());
            RoutingResult a = softmaxFirst.route(ps, x(m), false);
            assertArrayEquals(expectedExperts, a.getExperts().toLongArray());
            assertEquals(DataType.INT64, a.getExperts().getDataType());
            assertClose(
                    new double[] {z0[1], z0[3], z1[2], z1[0]},
                    a.getWeights().toFloatArray(),
                    "weights");
            assertClose(expectedZ, a.getRoutingInput().toFloatArray(), "z");
            assertClose(
                    new double[] {
                        h[0][0], h[0][1], h[0][2], h[0][3], h[1][0], h[1][1], h[1][2], h[1][3]
                    },
                    a.getLogits().toFloatArray(),
                    "logits");

            Router topkFirst =
                    initialized(
                            m,
                            Router.builder()
                                    .setExperts(4)
                                    .setTopK(2)
                                    .optOrder(RoutingOrder.TOPK_THEN_SOFTMAX)
                                    .build());
            RoutingResult b = topkFirst.route(ps, x(m), false);
            assertArrayEquals(expectedExperts, b.getExperts().toLongArray());
            double[] w0 = softmax(new double[] {h[0][1], h[0][3]});
            double[] w1 = softmax(new double[] {h[1][2], h[1][0]});
            assertClose(
                    new double[] {w0[0], w0[1], w1[0], w1[1]},
                    b.getWeights().toFloatArray(),
                    "weights");
            assertClose(expectedZ, b.getRoutingInput().toFloatArray(), "z");

            // forward returns (weights, experts, z) with the declared shapes.
            NDList out = topkFirst.forward(ps, new NDList(x(m)), false);
            Shape[] shapes = topkFirst.getOutputShapes(new Shape[] {new Shape(2, 3)});
            assertEquals(3, out.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(shapes[i], out.get(i).getShape());
            }
            assertArrayEquals(expectedExperts, out.get(1).toLongArray());
            assertClose(expectedZ, out.get(2).toFloatArray(), "z");
        }
    }

    @Test
    void builderValidation() {
        IllegalArgumentException ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Router.builder().setExperts(4).setTopK(0).build());
        assertTrue(
                ex.getMessage().contains("topK") && ex.getMessage().contains("[1, experts=4]"),
                ex.getMessage());
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Router.builder().setExperts(4).setTopK(5).build());
        assertTrue(ex.getMessage().contains("topK"), ex.getMessage());
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Router.builder().setExperts(0).setTopK(1).build());
        assertTrue(ex.getMessage().contains("experts"), ex.getMessage());
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Router.builder().setExperts(2).setTopK(1).optOrder(null).build());
        assertTrue(ex.getMessage().contains("order"), ex.getMessage());
        Router ok = Router.builder().setExperts(4).setTopK(4).build();
        assertEquals(4, ok.getTopK());
        assertEquals(4, ok.getNumExperts());
    }

    @Test
    void renormalisedWeightsSumToOneAndZRowsSumToOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(64, 8));
            Router renorm = Router.builder().setExperts(8).setTopK(2).optRenormalize(true).build();
            renorm.initialize(m, DataType.FLOAT32, new Shape(64, 8));
            RoutingResult r = renorm.route(ps, x, false);
            float[] sums = r.getWeights().sum(new int[] {1}).toFloatArray();
            for (float s : sums) {
                assertEquals(1f, s, 1e-6f);
            }
            float[] zSums = r.getRoutingInput().sum(new int[] {1}).toFloatArray();
            for (float s : zSums) {
                assertEquals(1f, s, 1e-6f);
            }
            // Without renormalisation the two chosen probabilities sum to less than one, and
            // renormalising
            // keeps their ratio.
            Router plain = Router.builder().setExperts(8).setTopK(2).build();
            plain.initialize(m, DataType.FLOAT32, new Shape(64, 8));
            plain.getParameters()
                    .get("gate")
                    .getArray()
                    .set(renorm.getParameters().get("gate").getArray().toFloatArray());
            RoutingResult p = plain.route(ps, x, false);
            float[] pw = p.getWeights().toFloatArray();
            float[] rw = r.getWeights().toFloatArray();
            assertArrayEquals(r.getExperts().toLongArray(), p.getExperts().toLongArray());
            for (int t = 0; t < 64; t++) {
                float s = pw[2 * t] + pw[2 * t + 1];
                assertTrue(s < 1f - 1e-4f);
                assertEquals(pw[2 * t] / s, rw[2 * t], 1e-6f);
                assertTrue(pw[2 * t] >= pw[2 * t + 1]);
            }
        }
    }

    @Test
    void noiseOnlyInTrainingWithStdOneOverE() {
        int e = 4;
        int n = 4000;
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(n, 6));
            Router noisy = Router.builder().setExperts(e).setTopK(1).optTrainingNoise(true).build();
            noisy.initialize(m, DataType.FLOAT32, new Shape(n, 6));

            // Evaluation: no noise, deterministic.
            RoutingResult eval1 = noisy.route(ps, x, false);
            RoutingResult eval2 = noisy.route(ps, x, false);
            assertArrayEquals(
                    eval1.getWeights().toFloatArray(), eval2.getWeights().toFloatArray(), 0f);
            assertArrayEquals(
                    eval1.getLogits().toFloatArray(), eval1.getNoisyLogits().toFloatArray(), 0f);

            // Training: the top-k sees noisy logits with std 1/E; z stays the clean softmax.
            RoutingResult train = noisy.route(ps, x, true);
            float[] diff = train.getNoisyLogits().sub(train.getLogits()).toFloatArray();
            double mean = 0;
            double sq = 0;
            for (float v : diff) {
                mean += v;
                sq += (double) v * v;
            }
            mean /= diff.length;
            double std = Math.sqrt(sq / diff.length - mean * mean);
            assertEquals(0.0, mean, 0.01);
            assertEquals(1.0 / e, std, 0.01);
            assertFalse(
                    java.util.Arrays.equals(
                            eval1.getWeights().toFloatArray(), train.getWeights().toFloatArray()),
                    "training weights must differ from evaluation weights");
            assertArrayEquals(
                    eval1.getRoutingInput().toFloatArray(),
                    train.getRoutingInput().toFloatArray(),
                    1e-6f);
            // Weights are the noisy softmax probabilities of the chosen experts.
            float[] expected = train.getNoisyLogits().softmax(-1).max(new int[] {1}).toFloatArray();
            assertArrayEquals(expected, train.getWeights().toFloatArray(), 1e-6f);

            // Noise switched off: training is deterministic too.
            Router clean = Router.builder().setExperts(e).setTopK(1).build();
            clean.initialize(m, DataType.FLOAT32, new Shape(n, 6));
            RoutingResult c = clean.route(ps, x, true);
            assertArrayEquals(c.getLogits().toFloatArray(), c.getNoisyLogits().toFloatArray(), 0f);
        }
    }

    @Test
    void gradientsReachTheGate() {
        try (NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            Router router = initialized(m, Router.builder().setExperts(4).setTopK(2).build());
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                RoutingResult r = router.route(ps, x(m), true);
                gc.backward(r.getWeights().sum().add(r.getRoutingInput().square().sum()));
            }
            NDArray grad = router.getParameters().get("gate").getArray().getGradient();
            assertEquals(new Shape(3, 4), grad.getShape());
            assertTrue(grad.abs().sum().getFloat() > 0f);
        }
    }
}
