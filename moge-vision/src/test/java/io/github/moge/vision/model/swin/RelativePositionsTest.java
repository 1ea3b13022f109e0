package io.github.moge.vision.model.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class RelativePositionsTest {

    @Test
    void indexEqualsTheNaiveComputation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int w : new int[] {1, 2, 3, 4, 7}) {
                long[] got = RelativePositions.index(manager, w).toLongArray();
                int n = w * w;
                long[] expected = new long[n * n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int dh = i / w - j / w + w - 1;
                        int dw = i % w - j % w + w - 1;
                        expected[i * n + j] = (long) dh * (2 * w - 1) + dw;
                    }
                }
                assertArrayEquals(expected, got, "window " + w);
            }
        }
    }

    @Test
    void indexOfA2x2WindowByHand() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // Pixels (0,0), (0,1), (1,0), (1,1); offset (dh, dw) + 1 in base 3.
            long[] expected = {4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4};
            assertArrayEquals(expected, RelativePositions.index(manager, 2).toLongArray());
        }
    }

    @Test
    void logSpacedTableOf2x2And3x3WindowsByHand() {
        float a = (float) (Math.log(9) / Math.log(8)); // offset 1 of a 2x2 window: 8 -> log2(9) / 3
        float b = (float) (Math.log(5) / Math.log(8)); // offset 1 of a 3x3 window: 4 -> log2(5) / 3
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray two = RelativePositions.logSpacedTable(manager, 2, DataType.FLOAT32);
            assertEquals(new Shape(9, 2), two.getShape());
            float[] expected2 = {-a, -a, -a, 0, -a, a, 0, -a, 0, 0, 0, a, a, -a, a, 0, a, a};
            assertArrayEquals(expected2, two.toFloatArray(), 1e-6f);

            NDArray three = RelativePositions.logSpacedTable(manager, 3, DataType.FLOAT32);
            assertEquals(new Shape(25, 2), three.getShape());
            float[] values = {-a, -b, 0, b, a};
            float[] got = three.toFloatArray();
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 5; j++) {
                    assertEquals(values[i], got[(i * 5 + j) * 2], 1e-6f);
                    assertEquals(values[j], got[(i * 5 + j) * 2 + 1], 1e-6f);
                }
            }
        }
    }
}
