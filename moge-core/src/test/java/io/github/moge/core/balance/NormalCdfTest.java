package io.github.moge.core.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class NormalCdfTest {

    /** Normal density. */
    static double pdf(double x) {
        return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /**
     * Reference Phi computed independently of Cody's approximation: the positive-term series Phi(x)
     * = 1/2 + pdf(x) sum_n x^(2n+1) / (1 3 5 ... (2n+1)) for |x| <= 3, and the Laplace continued
     * fraction of the Mills ratio, 1 - Phi(y) = pdf(y) / (y + 1/(y + 2/(y + 3/(y + ...)))), for |y|
     * > 3.
     */
    static double referencePhi(double x) {
        if (Math.abs(x) <= 3) {
            double term = x;
            double sum = x;
            for (int n = 1; n < 200; n++) {
                term *= x * x / (2 * n + 1);
                sum += term;
                if (Math.abs(term) < 1e-18 * Math.abs(sum)) {
                    break;
                }
            }
            return 0.5 + pdf(x) * sum;
        }
        double y = Math.abs(x);
        double frac = y;
        for (int n = 400; n >= 1; n--) {
            frac = y + n / frac;
        }
        double upper = pdf(y) / frac;
        return x > 0 ? 1 - upper : upper;
    }

    private static double[] grid() {
        double[] xs = new double[341 + 8];
        for (int i = 0; i <= 340; i++) {
            xs[i] = -8.5 + 0.05 * i;
        }
        double[] extra = {-40, -20, -12.3, -10, 10, 12.3, 20, 40};
        System.arraycopy(extra, 0, xs, 341, extra.length);
        return xs;
    }

    @Test
    void referenceIsSelfConsistent() {
        // the two reference methods agree where both apply, and hit textbook values
        for (double x = 2.5; x <= 3.5; x += 0.1) {
            double y = x;
            double frac = y;
            for (int n = 400; n >= 1; n--) {
                frac = y + n / frac;
            }
            assertEquals(referencePhi(-x), pdf(x) / frac, 1e-15, "x=" + x);
        }
        assertEquals(0.9750021048517795, referencePhi(1.96), 1e-15);
        assertEquals(6.220960574271785e-16, referencePhi(-8), 1e-28);
    }

    @Test
    void float64MatchesReferenceOverTheWholeLine() {
        double[] xs = grid();
        try (NDManager m = NDManager.newBaseManager()) {
            double[] got = NormalCdf.cdf(m.create(xs)).toDoubleArray();
            for (int i = 0; i < xs.length; i++) {
                double ref = referencePhi(xs[i]);
                assertEquals(ref, got[i], 1e-14, "x=" + xs[i]);
                if (xs[i] < 0 && ref > 1e-300) {
                    // the lower tail keeps relative accuracy
                    assertEquals(1.0, got[i] / ref, 1e-12, "relative, x=" + xs[i]);
                }
            }
        }
    }

    @Test
    void float32IsAccurateToFloatRounding() {
        double[] xs = grid();
        float[] fx = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            fx[i] = (float) xs[i];
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = NormalCdf.cdf(m.create(fx));
            assertEquals(DataType.FLOAT32, out.getDataType());
            float[] got = out.toFloatArray();
            for (int i = 0; i < fx.length; i++) {
                double ref = referencePhi(fx[i]);
                assertEquals(ref, got[i], 2e-7, "x=" + fx[i]);
                if (fx[i] < 0 && ref > 1e-36) {
                    assertEquals(1.0, got[i] / ref, 2e-5, "relative, x=" + fx[i]);
                }
            }
        }
    }

    @Test
    void gradientIsTheNormalDensity() {
        double[] xs = grid();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(xs);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(NormalCdf.cdf(x).sum());
            }
            double[] grad = x.getGradient().toDoubleArray();
            for (int i = 0; i < xs.length; i++) {
                double ref = pdf(xs[i]);
                assertEquals(ref, grad[i], 1e-13, "x=" + xs[i]);
                if (ref > 1e-300) {
                    assertEquals(1.0, grad[i] / ref, 1e-10, "relative, x=" + xs[i]);
                }
            }
        }
    }

    @Test
    void extremeArgumentsAreFiniteWithFiniteGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                NDArray x =
                        m.create(
                                        new double[] {
                                            Double.NEGATIVE_INFINITY,
                                            -1e30,
                                            -100,
                                            0,
                                            100,
                                            1e30,
                                            Double.POSITIVE_INFINITY
                                        })
                                .toType(type, false);
                x.setRequiresGradient(true);
                NDArray y;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    y = NormalCdf.cdf(x);
                    gc.backward(y.sum());
                }
                double[] v = y.toType(DataType.FLOAT64, false).toDoubleArray();
                double[] expected = {0, 0, 0, 0.5, 1, 1, 1};
                for (int i = 0; i < v.length; i++) {
                    assertEquals(expected[i], v[i], 0.0, type + " value " + i);
                }
                double[] g = x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
                for (int i = 0; i < g.length; i++) {
                    assertTrue(Double.isFinite(g[i]), type + " gradient " + i + " = " + g[i]);
                }
                assertEquals(pdf(0), g[3], 1e-7);
            }
        }
    }

    @Test
    void scalarFloat32StaysFloat32() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = NormalCdf.cdf(m.create(1.5f));
            assertEquals(DataType.FLOAT32, out.getDataType());
            assertEquals(referencePhi(1.5), out.getFloat(), 1e-7);
        }
    }

    @Test
    void halfPrecisionIsComputedInFloat32AndIntegersAreRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray half = m.create(new float[] {-1f, 0f, 1f}).toType(DataType.FLOAT16, false);
            NDArray out = NormalCdf.cdf(half);
            assertEquals(DataType.FLOAT16, out.getDataType());
            float[] v = out.toType(DataType.FLOAT32, false).toFloatArray();
            assertEquals(referencePhi(1), v[2], 1e-3);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> NormalCdf.cdf(m.create(new int[] {1})));
            assertTrue(e.getMessage().contains("x must"), e.getMessage());
        }
    }
}
