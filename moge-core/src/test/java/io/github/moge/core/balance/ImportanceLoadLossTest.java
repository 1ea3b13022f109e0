package io.github.moge.core.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.moge.core.routing.RoutingResult;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImportanceLoadLossTest {

    private static double[][] gaussian(Random r, int n, int e, double scale) {
        double[][] a = new double[n][e];
        for (double[] row : a) {
            for (int i = 0; i < e; i++) {
                row[i] = scale * r.nextGaussian();
            }
        }
        return a;
    }

    /** The loss in Java doubles, straight from the definition. */
    private static double[] reference(double[][] h, double[][] noise, int k, double std) {
        int n = h.length;
        int e = h[0].length;
        double[][] z = RoutingFixtures.softmax(h);
        double[] imp = new double[e];
        double[] load = new double[e];
        for (int t = 0; t < n; t++) {
            double[] noisy = new double[e];
            for (int i = 0; i < e; i++) {
                noisy[i] = h[t][i] + noise[t][i];
                imp[i] += z[t][i];
            }
            double[] sorted = noisy.clone();
            Arrays.sort(sorted);
            double tau = sorted[e - k];
            for (int i = 0; i < e; i++) {
                load[i] += 1 - NormalCdfTest.referencePhi((tau - h[t][i]) / std);
            }
        }
        double lImp = RoutingFixtures.cv2(imp);
        double lLoad = RoutingFixtures.cv2(load);
        return new double[] {lImp, lLoad, (lImp + lLoad) / 2};
    }

    @Test
    void uniformAndSymmetricRoutingGiveZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            ImportanceLoadLoss loss = new ImportanceLoadLoss();
            NDArray zeros = m.zeros(new Shape(5, 4), DataType.FLOAT64);
            assertEquals(0.0, loss.compute(RoutingFixtures.route(zeros, null, 1)).getDouble(), 0.0);
            // every expert sees the same multiset of logits: balanced although no token is uniform
            double[][] cyclic = new double[4][4];
            double[] base = {2, 1, 0, -1};
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 4; i++) {
                    cyclic[t][i] = base[(i + t) % 4];
                }
            }
            for (int k = 1; k <= 3; k++) {
                NDArray l = loss.compute(RoutingFixtures.route(m.create(cyclic), null, k));
                assertEquals(new Shape(), l.getShape());
                assertEquals(0.0, l.getDouble(), 1e-20, "k=" + k);
            }
        }
    }

    @Test
    void skewedRoutingMatchesHandComputation() {
        Random r = new Random(7);
        int n = 9;
        int e = 6;
        double[][] h = gaussian(r, n, e, 0.5);
        for (double[] row : h) {
            row[0] += 1.0; // expert 0 is favoured
        }
        double[][] noise = gaussian(r, n, e, 1.0 / e);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int k = 1; k <= 2; k++) {
                for (double std : new double[] {1.0 / e, 0.4}) {
                    ImportanceLoadLoss loss =
                            std == 1.0 / e
                                    ? new ImportanceLoadLoss()
                                    : ImportanceLoadLoss.builder().optNoiseStd(std).build();
                    RoutingResult routing = RoutingFixtures.route(m.create(h), m.create(noise), k);
                    double[] ref = reference(h, noise, k, std);
                    assertTrue(
                            ref[2] > 0.05,
                            "skewed routing should be clearly unbalanced: " + ref[2]);
                    assertEquals(ref[0], loss.importanceLoss(routing).getDouble(), 1e-12);
                    assertEquals(ref[1], loss.loadLoss(routing).getDouble(), 1e-12);
                    assertEquals(
                            ref[2],
                            loss.compute(routing).getDouble(),
                            1e-12,
                            "k=" + k + " std=" + std);
                }
            }
            // float32 gives the same value to float accuracy and keeps its type
            RoutingResult f32 =
                    RoutingFixtures.route(
                            m.create(h).toType(DataType.FLOAT32, false),
                            m.create(noise).toType(DataType.FLOAT32, false),
                            1);
            NDArray l32 = new ImportanceLoadLoss().compute(f32);
            assertEquals(DataType.FLOAT32, l32.getDataType());
            assertEquals(reference(h, noise, 1, 1.0 / e)[2], l32.getFloat(), 1e-5);
        }
    }

    @Test
    void gradientMatchesCentralDifferences() {
        Random r = new Random(11);
        int n = 6;
        int e = 4;
        int k = 2;
        double[][] h = gaussian(r, n, e, 0.3);
        double[][] noise = gaussian(r, n, e, 0.25);
        ImportanceLoadLoss loss = new ImportanceLoadLoss();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray noiseArray = m.create(noise);
            NDArray x = m.create(h);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss.compute(RoutingFixtures.route(x, noiseArray, k)));
            }
            double[] grad = x.getGradient().toDoubleArray();
            double step = 1e-6;
            double maxAbs = 0;
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < e; i++) {
                    double[][] plus = copy(h);
                    double[][] minus = copy(h);
                    plus[t][i] += step;
                    minus[t][i] -= step;
                    double fd =
                            (loss.compute(RoutingFixtures.route(m.create(plus), noiseArray, k))
                                                    .getDouble()
                                            - loss.compute(
                                                            RoutingFixtures.route(
                                                                    m.create(minus), noiseArray, k))
                                                    .getDouble())
                                    / (2 * step);
                    assertEquals(fd, grad[t * e + i], 1e-7, "d/dh[" + t + "][" + i + "]");
                    maxAbs = Math.max(maxAbs, Math.abs(fd));
                }
            }
            assertTrue(maxAbs > 1e-3, "the check must not pass on a vanishing gradient");
        }
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    @Test
    void badInputIsRejectedWithTheFieldName() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ImportanceLoadLoss.builder().optNoiseStd(0));
        assertTrue(e.getMessage().contains("noiseStd"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> ImportanceLoadLoss.builder().optNoiseStd(Double.NaN));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray one = m.zeros(new Shape(3, 1), DataType.FLOAT64);
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    new ImportanceLoadLoss()
                                            .compute(RoutingFixtures.route(one, null, 1)));
            assertTrue(e.getMessage().contains("numExperts"), e.getMessage());
            NDArray logits = m.zeros(new Shape(3, 4), DataType.FLOAT64);
            RoutingResult bad =
                    new RoutingResult(
                            logits,
                            logits,
                            m.zeros(new Shape(3, 5), DataType.FLOAT64),
                            logits,
                            m.zeros(new Shape(3, 1), DataType.INT64));
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> new ImportanceLoadLoss().compute(bad));
            assertTrue(e.getMessage().contains("routingInput"), e.getMessage());
        }
        assertEquals("importance_load", new ImportanceLoadLoss().getName());
        assertEquals(0.25, new ImportanceLoadLoss().getNoiseStd(4), 0.0);
    }

    @Test
    void tutelLoadFormMatchesHandValues() {
        // Two tokens, E = 3, k = 1, noise std 1/3; tau = the largest of softmax(h + noise).
        // token 0: z = (0.66524, 0.24473, 0.09003), noisy scores (0.49015, 0.44351, 0.06634), tau =
        // 0.49015
        // token 1: z = (0.42601, 0.31560, 0.25839), noisy scores (0.32204, 0.35591, 0.32204), tau =
        // 0.35591
        // load_i = sum_x Phi((z_i - tau) / (1/3)) = (1.283581, 0.682648, 0.499923); its unbiased
        // var / mean^2
        // is 0.2487617 (evaluated in double precision from these definitions).
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray h = m.create(new double[][] {{1, 0, -1}, {0.5, 0.2, 0}});
            NDArray noise = m.create(new double[][] {{0, 0.9, 0}, {-0.4, 0, 0.1}});
            RoutingResult routing = RoutingFixtures.route(h, noise, 1);
            ImportanceLoadLoss tutel =
                    ImportanceLoadLoss.builder()
                            .optLoadForm(ImportanceLoadLoss.LoadForm.TUTEL)
                            .build();
            assertEquals(0.24876166994981166, tutel.loadLoss(routing).getDouble(), 1e-9);
            // the default is V-MoE's form on logits, a different (much larger) value for the same
            // routing
            double vmoe = new ImportanceLoadLoss().loadLoss(routing).getDouble();
            double[] expected =
                    reference(
                            new double[][] {{1, 0, -1}, {0.5, 0.2, 0}},
                            new double[][] {{0, 0.9, 0}, {-0.4, 0, 0.1}},
                            1,
                            1.0 / 3);
            assertEquals(expected[1], vmoe, 1e-9);
            assertTrue(vmoe > 2 * 0.2487, "V-MoE " + vmoe);
            assertEquals(
                    tutel.importanceLoss(routing).getDouble(),
                    new ImportanceLoadLoss().importanceLoss(routing).getDouble(),
                    0.0,
                    "the importance term is the same in both forms");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> ImportanceLoadLoss.builder().optLoadForm(null));
        }
    }
}
