package io.github.moge.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImedTest {

    /** The definition as a naive double loop over all pairs of cells. */
    private static double naive(float[] a, float[] b, int rows, int cols, double s) {
        double sum = 0;
        for (int i = 0; i < rows * cols; i++) {
            for (int j = 0; j < rows * cols; j++) {
                double dr = i / cols - j / cols;
                double dc = i % cols - j % cols;
                double g = Math.exp(-(dr * dr + dc * dc) / (2 * s * s)) / (2 * Math.PI * s * s);
                sum += g * ((double) a[i] - b[i]) * ((double) a[j] - b[j]);
            }
        }
        return sum;
    }

    private static float[] random(Random r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = r.nextFloat();
        }
        return v;
    }

    @Test
    void handExamples() {
        Imed imed = Imed.of(3, 4);
        float[] a = new float[12];
        for (int i = 0; i < 12; i++) {
            a[i] = 0.1f * i;
        }
        assertEquals(0.0, imed.distance(a, a.clone()), 0.0);

        float delta = 0.75f;
        float[] b = a.clone();
        b[5] += delta;
        assertEquals(delta * delta / (2 * Math.PI), imed.squaredDistance(a, b), 1e-12);
        assertEquals(delta / Math.sqrt(2 * Math.PI), imed.distance(a, b), 1e-12);

        // +delta and -delta in horizontally or vertically adjacent cells: 2 delta^2 (1 - e^-1/2) /
        // (2 pi)
        double expected = delta * delta * (1 - Math.exp(-0.5)) / Math.PI;
        float[] horizontal = a.clone();
        horizontal[5] += delta;
        horizontal[6] -= delta;
        assertEquals(expected, imed.squaredDistance(a, horizontal), 1e-12);
        float[] vertical = a.clone();
        vertical[5] += delta;
        vertical[9] -= delta;
        assertEquals(expected, imed.squaredDistance(a, vertical), 1e-12);
        // same signs add instead: 2 delta^2 (1 + e^-1/2) / (2 pi)
        float[] same = a.clone();
        same[5] += delta;
        same[6] += delta;
        assertEquals(
                delta * delta * (1 + Math.exp(-0.5)) / Math.PI,
                imed.squaredDistance(a, same),
                1e-12);

        // a wider Gaussian: single cell gives delta^2 / (2 pi s^2)
        Imed wide = Imed.builder().setRows(3).setCols(4).optSigma(2).build();
        assertEquals(delta * delta / (8 * Math.PI), wide.squaredDistance(a, b), 1e-12);
    }

    @Test
    void symmetricAndEqualToTheNaiveDefinition() {
        Random r = new Random(3);
        int[][] sizes = {{1, 1}, {2, 4}, {4, 8}, {5, 3}};
        for (int[] size : sizes) {
            for (double s : new double[] {1.0, 0.7}) {
                Imed imed = Imed.builder().setRows(size[0]).setCols(size[1]).optSigma(s).build();
                float[] a = random(r, size[0] * size[1]);
                float[] b = random(r, size[0] * size[1]);
                double ref = naive(a, b, size[0], size[1], s);
                assertEquals(ref, imed.squaredDistance(a, b), 1e-12 * Math.max(1, ref));
                assertEquals(imed.distance(a, b), imed.distance(b, a), 0.0);
                assertTrue(ref > 0);
            }
        }
    }

    @Test
    void batchVersionEqualsNaiveLoop() {
        Random r = new Random(5);
        int rows = 4;
        int cols = 8;
        int batch = 7;
        Imed imed = Imed.of(rows, cols);
        float[][] a = new float[batch][];
        float[][] b = new float[batch][];
        for (int i = 0; i < batch; i++) {
            a[i] = random(r, rows * cols);
            b[i] = random(r, rows * cols);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a64 = m.create(a).toType(DataType.FLOAT64, false);
            NDArray b64 = m.create(b).toType(DataType.FLOAT64, false);
            NDArray d2 = imed.squaredDistance(a64, b64);
            assertEquals(new Shape(batch), d2.getShape());
            assertEquals(DataType.FLOAT64, d2.getDataType());
            double[] got = d2.toDoubleArray();
            double[] swapped = imed.squaredDistance(b64, a64).toDoubleArray();
            float[] got32 = imed.squaredDistance(m.create(a), m.create(b)).toFloatArray();
            for (int i = 0; i < batch; i++) {
                double ref = naive(a[i], b[i], rows, cols, 1.0);
                assertEquals(ref, got[i], 1e-12);
                assertEquals(got[i], swapped[i], 1e-15);
                assertEquals(ref, got32[i], 1e-5 * Math.max(1, ref));
                assertEquals(ref, imed.squaredDistance(a[i], b[i]), 1e-12);
            }
            // a single map gives a scalar
            NDArray single = imed.squaredDistance(m.create(a[0]), m.create(b[0]));
            assertEquals(new Shape(), single.getShape());
            assertEquals(got[0], single.getFloat(), 1e-5);
        }
    }

    @Test
    void largeMapIsCheap() {
        // 20 x 20 = 400 cells (the Fashion-MNIST setting), batch 256
        Imed imed = Imed.of(20, 20);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomUniform(0, 1, new Shape(256, 400));
            NDArray b = m.randomUniform(0, 1, new Shape(256, 400));
            float[] d2 = imed.squaredDistance(a, b).toFloatArray();
            float[] a0 = a.get(0).toFloatArray();
            float[] b0 = b.get(0).toFloatArray();
            assertEquals(imed.squaredDistance(a0, b0), d2[0], 1e-4 * d2[0]);
        }
    }

    @Test
    void badInputIsRejectedWithTheFieldName() {
        assertMessage(() -> Imed.of(0, 4), "rows");
        assertMessage(() -> Imed.of(2, 0), "cols");
        assertMessage(() -> Imed.builder().setRows(2).setCols(2).optSigma(0).build(), "sigma");
        assertMessage(() -> Imed.builder().setCols(2).build(), "rows");
        Imed imed = Imed.of(2, 2);
        assertMessage(() -> imed.distance(new float[4], new float[3]), "rows * cols");
        try (NDManager m = NDManager.newBaseManager()) {
            assertMessage(
                    () -> imed.squaredDistance(m.zeros(new Shape(2, 5)), m.zeros(new Shape(2, 5))),
                    "rows * cols");
            assertMessage(
                    () -> imed.squaredDistance(m.zeros(new Shape(2, 4)), m.zeros(new Shape(3, 4))),
                    "same shape");
            assertMessage(
                    () ->
                            imed.squaredDistance(
                                    m.zeros(new Shape(1, 4), DataType.INT32),
                                    m.zeros(new Shape(1, 4), DataType.INT32)),
                    "floating");
        }
        assertArrayEquals(new int[] {2, 2}, new int[] {imed.getRows(), imed.getCols()});
        assertEquals(1.0, imed.getSigma(), 0.0);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
