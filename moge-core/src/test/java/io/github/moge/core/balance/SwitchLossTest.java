package io.github.moge.core.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.moge.core.routing.RoutingResult;
import org.junit.jupiter.api.Test;

class SwitchLossTest {

    @Test
    void uniformRoutingGivesExactlyOne() {
        double[][] z = new double[8][4];
        long[][] top1 = new long[8][1];
        long[][] top2 = new long[8][2];
        for (int t = 0; t < 8; t++) {
            java.util.Arrays.fill(z[t], 0.25);
            top1[t][0] = t % 4;
            top2[t][0] = t % 4;
            top2[t][1] = (t + 1) % 4;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray l1 = new SwitchLoss().compute(RoutingFixtures.routeGiven(m, z, top1));
            assertEquals(new Shape(), l1.getShape());
            assertEquals(1.0, l1.getDouble(), 1e-15);
            assertEquals(
                    1.0,
                    new SwitchLoss().compute(RoutingFixtures.routeGiven(m, z, top2)).getDouble(),
                    1e-15);
        }
    }

    @Test
    void skewedRoutingMatchesHandComputation() {
        // 4 tokens, 3 experts, top-2
        double[][] z = {
            {0.7, 0.2, 0.1},
            {0.6, 0.3, 0.1},
            {0.5, 0.1, 0.4},
            {0.2, 0.5, 0.3},
        };
        long[][] experts = {{0, 1}, {0, 1}, {0, 2}, {1, 2}};
        // f = counts / (N k) = (3, 3, 2) / 8; P = column means = (2.0, 1.1, 0.9) / 4
        double expected = 3 * (3.0 / 8 * 2.0 / 4 + 3.0 / 8 * 1.1 / 4 + 2.0 / 8 * 0.9 / 4);
        try (NDManager m = NDManager.newBaseManager()) {
            RoutingResult routing = RoutingFixtures.routeGiven(m, z, experts);
            assertEquals(expected, new SwitchLoss().compute(routing).getDouble(), 1e-15);
            // all tokens to expert 0 with top-1: E * 1 * P_0
            long[][] allZero = {{0}, {0}, {0}, {0}};
            assertEquals(
                    3 * 2.0 / 4,
                    new SwitchLoss().compute(RoutingFixtures.routeGiven(m, z, allZero)).getDouble(),
                    1e-15);
        }
    }

    @Test
    void gradientFlowsOnlyThroughTheMeanProbability() {
        double[][] z = {{0.7, 0.2, 0.1}, {0.6, 0.3, 0.1}};
        long[][] experts = {{0}, {1}};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray zz = m.create(z);
            zz.setRequiresGradient(true);
            NDArray ex = m.create(experts);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(
                        new SwitchLoss()
                                .compute(
                                        new RoutingResult(
                                                zz.log(), zz.log(), zz, zz.gather(ex, 1), ex)));
            }
            // d/dz_{t,i} = E * f_i / N with f = (1/2, 1/2, 0)
            double[] expected = {0.75, 0.75, 0, 0.75, 0.75, 0};
            double[] grad = zz.getGradient().toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], grad[i], 1e-15);
            }
        }
    }

    @Test
    void rejectsInconsistentShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            RoutingResult bad =
                    RoutingFixtures.routeGiven(
                            m, new double[][] {{0.5, 0.5}}, new long[][] {{0, 1, 1}});
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> new SwitchLoss().compute(bad));
            assertEquals(true, e.getMessage().contains("topK"), e.getMessage());
        }
        assertEquals("switch", new SwitchLoss().getName());
    }
}
