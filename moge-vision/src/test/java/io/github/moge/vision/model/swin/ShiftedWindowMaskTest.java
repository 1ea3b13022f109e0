package io.github.moge.vision.model.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class ShiftedWindowMaskTest {

    /**
     * The Swin reference's construction written out with loops: label the slices, compare labels.
     */
    static float[] naive(int height, int width, int window, int shift) {
        int[][] label = new int[height][width];
        int[][] hSlices = {
            {0, height - window}, {height - window, height - shift}, {height - shift, height}
        };
        int[][] wSlices = {
            {0, width - window}, {width - window, width - shift}, {width - shift, width}
        };
        int count = 0;
        for (int[] hs : hSlices) {
            for (int[] wsl : wSlices) {
                for (int y = hs[0]; y < hs[1]; y++) {
                    for (int x = wsl[0]; x < wsl[1]; x++) {
                        label[y][x] = count;
                    }
                }
                count++;
            }
        }
        int n = window * window;
        int windows = (height / window) * (width / window);
        float[] mask = new float[windows * n * n];
        int wIndex = 0;
        for (int wy = 0; wy < height / window; wy++) {
            for (int wx = 0; wx < width / window; wx++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int li = label[wy * window + i / window][wx * window + i % window];
                        int lj = label[wy * window + j / window][wx * window + j % window];
                        mask[(wIndex * n + i) * n + j] = li == lj ? 0f : -100f;
                    }
                }
                wIndex++;
            }
        }
        return mask;
    }

    @Test
    void equalsTheNaiveMask() {
        int[][] cases = {{8, 8, 4, 2}, {12, 8, 4, 2}, {6, 9, 3, 1}, {14, 14, 7, 3}};
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int[] c : cases) {
                NDArray mask =
                        ShiftedWindowMask.compute(
                                manager, c[0], c[1], c[2], c[3], DataType.FLOAT32);
                int n = c[2] * c[2];
                assertEquals(new Shape((c[0] / c[2]) * (c[1] / c[2]), n, n), mask.getShape());
                assertArrayEquals(
                        naive(c[0], c[1], c[2], c[3]),
                        mask.toFloatArray(),
                        0f,
                        java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void onlyTheEdgeWindowsAreMasked() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mask = ShiftedWindowMask.compute(manager, 8, 8, 4, 2, DataType.FLOAT32);
            // Windows: 0 top-left (one region), 1 top-right (two), 2 bottom-left (two), 3
            // bottom-right (four).
            float[] maskedPerWindow =
                    mask.eq(-100f)
                            .toType(DataType.FLOAT32, false)
                            .sum(new int[] {1, 2})
                            .toFloatArray();
            // Two regions of 8 pixels: 2 * 8 * 8 masked pairs; four regions of 4: 16 * 16 - 4 * 4 *
            // 4.
            assertArrayEquals(new float[] {0, 128, 128, 192}, maskedPerWindow);
        }
    }
}
