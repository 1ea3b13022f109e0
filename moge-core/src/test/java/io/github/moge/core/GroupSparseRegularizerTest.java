package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.moge.core.testing.GroupSparseReference;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins the regularizer maths of docs/design.md ("The maths as implemented") with closed forms and
 * an independent reference.
 */
class GroupSparseRegularizerTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static double[][] randomSoftmaxRows(Random random, int n, int e) {
        double[][] z = new double[n][e];
        for (double[] row : z) {
            double sum = 0;
            for (int j = 0; j < e; j++) {
                row[j] = Math.exp(3 * random.nextGaussian());
                sum += row[j];
            }
            for (int j = 0; j < e; j++) {
                row[j] /= sum;
            }
        }
        return z;
    }

    private NDArray create(double[][] z) {
        return manager.create(z);
    }

    private static GroupSparseRegularizer regularizer(int experts) {
        return GroupSparseRegularizer.builder().setExperts(experts).build();
    }

    @Test
    void kernelValuesAndSum() {
        GroupSparseRegularizer reg = regularizer(16);
        for (float sigma : new float[] {0.5f, 1f, 1.5f, 10f}) {
            float[] kernel = reg.kernel(manager, sigma, DataType.FLOAT32).toFloatArray();
            double[][] expected = GroupSparseReference.gaussian(3, sigma);
            double sum = 0;
            for (int i = 0; i < 9; i++) {
                assertEquals(
                        expected[i / 3][i % 3], kernel[i], 1e-6, "sigma " + sigma + " cell " + i);
                sum += kernel[i];
            }
            assertEquals(1.0, sum, 1e-6);
        }
        // sigma = 1: centre weight 1 / (1 + 4 e^-1/2 + 4 e^-1), closed form.
        double centre = 1 / (1 + 4 * Math.exp(-0.5) + 4 * Math.exp(-1));
        assertEquals(centre, reg.kernel(manager, 1f, DataType.FLOAT64).toDoubleArray()[4], 1e-12);
        // A large sigma tends to the box filter.
        float[] wide = reg.kernel(manager, 1e4f, DataType.FLOAT32).toFloatArray();
        for (float w : wide) {
            assertEquals(1 / 9.0, w, 1e-6);
        }
    }

    @Test
    void fiveByFiveKernelOffsetsAreCentred() {
        GroupSparseRegularizer reg =
                GroupSparseRegularizer.builder().setExperts(25).optFilterSize(5).build();
        double[] kernel = reg.kernel(manager, 1.3f, DataType.FLOAT64).toDoubleArray();
        double[][] expected = GroupSparseReference.gaussian(5, 1.3);
        for (int i = 0; i < 25; i++) {
            assertEquals(expected[i / 5][i % 5], kernel[i], 1e-7);
        }
    }

    @Test
    void oneHotCentreOnThreeByThreeMap() {
        // m = n = f = 3, so P = 1; a one-hot at the centre gives S = G(0,0).
        GroupSparseRegularizer reg = regularizer(9);
        float sigma = 1f;
        double g00 = GroupSparseReference.gaussian(3, sigma)[1][1];
        double[][] z = new double[2][9];
        z[0][4] = 1;
        z[1][4] = 1;
        double expected = 2 * Math.sqrt(g00 + 1e-8) / 9;
        assertEquals(expected, reg.compute(create(z), sigma).getDouble(), 1e-12);
    }

    @Test
    void oneHotCornerUsesCornerWeight() {
        GroupSparseRegularizer reg = regularizer(9);
        float sigma = 1.5f;
        double corner = GroupSparseReference.gaussian(3, sigma)[0][0];
        double[][] z = new double[1][9];
        z[0][8] = 1;
        assertEquals(
                Math.sqrt(corner + 1e-8) / 9, reg.compute(create(z), sigma).getDouble(), 1e-12);
    }

    @Test
    void uniformRoutingIsIndependentOfSigma() {
        // Z = 1/9 everywhere: S = sum(G) / 81 = 1/81 whatever sigma.
        GroupSparseRegularizer reg = regularizer(9);
        double[][] z = new double[5][9];
        for (double[] row : z) {
            java.util.Arrays.fill(row, 1.0 / 9);
        }
        double expected = 5 * Math.sqrt(1.0 / 81 + 1e-8) / 9;
        for (float sigma : new float[] {0.5f, 1.5f, 10f}) {
            assertEquals(expected, reg.compute(create(z), sigma).getDouble(), 1e-12);
        }
    }

    @Test
    void sumsOverTokensRatherThanAveraging() {
        GroupSparseRegularizer reg = regularizer(16);
        double[][] one = randomSoftmaxRows(new Random(1), 1, 16);
        double[][] three = {one[0], one[0], one[0]};
        double single = reg.compute(create(one), 2f).getDouble();
        assertEquals(3 * single, reg.compute(create(three), 2f).getDouble(), 1e-12);
    }

    @Test
    void matchesNaiveReferenceOnRandomMaps() {
        Random random = new Random(42);
        int[][] shapes = {{32, 4, 8}, {16, 4, 4}, {400, 20, 20}, {12, 3, 4}};
        for (int[] s : shapes) {
            GroupSparseRegularizer reg = regularizer(s[0]);
            double[][] z = randomSoftmaxRows(random, 7, s[0]);
            for (float sigma : new float[] {0.5f, 1.5f, 10f}) {
                double expected = GroupSparseReference.groupSparse(z, s[1], s[2], 3, sigma);
                double actual64 = reg.compute(create(z), sigma).getDouble();
                assertEquals(expected, actual64, 1e-12 * Math.max(1, expected), "E=" + s[0]);
                NDArray result32 = reg.compute(create(z).toType(DataType.FLOAT32, false), sigma);
                assertEquals(DataType.FLOAT32, result32.getDataType());
                float actual32 = result32.getFloat();
                assertEquals(expected, actual32, 1e-5 * Math.max(1, expected), "E=" + s[0]);
            }
        }
    }

    @Test
    void explicitMapShapeChangesTheGeometry() {
        Random random = new Random(7);
        double[][] z = randomSoftmaxRows(random, 4, 32);
        GroupSparseRegularizer wide =
                GroupSparseRegularizer.builder().setExperts(32).optMapShape(2 * 2, 8).build();
        GroupSparseRegularizer tall =
                GroupSparseRegularizer.builder().setExperts(32).optMapShape(8, 4).build();
        assertEquals(
                GroupSparseReference.groupSparse(z, 8, 4, 3, 1.5),
                tall.compute(create(z), 1.5f).getDouble(),
                1e-12);
        assertEquals(
                GroupSparseReference.groupSparse(z, 4, 8, 3, 1.5),
                wide.compute(create(z), 1.5f).getDouble(),
                1e-12);
    }

    @Test
    void gradientMatchesFiniteDifferencesInFloat64() {
        Random random = new Random(3);
        int tokens = 3;
        int experts = 16;
        float sigma = 1.5f;
        double[][] z = randomSoftmaxRows(random, tokens, experts);
        GroupSparseRegularizer reg = regularizer(experts);
        NDArray input = create(z);
        input.setRequiresGradient(true);
        double[] grad;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = reg.compute(input, sigma);
            collector.backward(loss);
            grad = input.getGradient().toDoubleArray();
        }
        double h = 1e-6;
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                double saved = z[t][e];
                z[t][e] = saved + h;
                double plus = GroupSparseReference.groupSparse(z, 4, 4, 3, sigma);
                z[t][e] = saved - h;
                double minus = GroupSparseReference.groupSparse(z, 4, 4, 3, sigma);
                z[t][e] = saved;
                double numeric = (plus - minus) / (2 * h);
                assertEquals(numeric, grad[t * experts + e], 1e-6 * Math.max(1, Math.abs(numeric)));
            }
        }
    }

    @Test
    void concentratedNeighbourhoodsCostLessThanScatteredOnes() {
        // The point of the regularizer: mass on neighbouring cells is cheaper than the same mass on
        // distant cells. Every cell used here is interior to the 8 x 8 map, so it lies in 9
        // windows.
        GroupSparseRegularizer reg = regularizer(64);
        double[][] together = new double[1][64];
        together[0][3 * 8 + 3] = 0.5;
        together[0][3 * 8 + 4] = 0.5;
        double[][] apart = new double[1][64];
        apart[0][2 * 8 + 2] = 0.5;
        apart[0][5 * 8 + 5] = 0.5;
        double grouped = reg.compute(create(together), 1.5f).getDouble();
        double scattered = reg.compute(create(apart), 1.5f).getDouble();
        assertTrue(grouped < scattered, grouped + " should be < " + scattered);
    }

    @Test
    void rejectsBadInput() {
        GroupSparseRegularizer reg = regularizer(16);
        IllegalArgumentException shape =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> reg.compute(manager.ones(new ai.djl.ndarray.types.Shape(2, 8)), 1f));
        assertTrue(shape.getMessage().contains("[N, 16]"), shape.getMessage());
        IllegalArgumentException sigma =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> reg.compute(manager.ones(new ai.djl.ndarray.types.Shape(2, 16)), 0f));
        assertTrue(sigma.getMessage().contains("sigma"), sigma.getMessage());
    }

    @Test
    void builderRejectsInvalidValues() {
        assertMessage(() -> GroupSparseRegularizer.builder().setExperts(0), "experts");
        assertMessage(() -> GroupSparseRegularizer.builder().optFilterSize(0), "filterSize");
        assertMessage(() -> GroupSparseRegularizer.builder().optMapShape(0, 3), "map rows");
        assertMessage(() -> GroupSparseRegularizer.builder().build(), "experts must be set");
        assertMessage(
                () -> GroupSparseRegularizer.builder().setExperts(32).optMapShape(4, 4).build(),
                "rows * cols must equal experts");
        assertMessage(() -> GroupSparseRegularizer.builder().setExperts(13).build(), "E=13");
        assertMessage(
                () -> GroupSparseRegularizer.builder().setExperts(16).optFilterSize(5).build(),
                "5 x 5 filter");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks " + part);
    }
}
