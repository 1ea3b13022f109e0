package io.github.moge.vision.model.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class WindowOpsTest {

    @Test
    void partitionPutsEachWindowsPixelsTogetherAndReverseUndoesIt() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int b = 2;
            int h = 6;
            int w = 9;
            int c = 3;
            int ws = 3;
            NDArray x = manager.arange((float) (b * h * w * c)).reshape(b, h, w, c);
            NDArray windows = WindowOps.partition(x, ws);
            assertEquals(new Shape(b * (h / ws) * (w / ws), ws * ws, c), windows.getShape());
            float[] xs = x.toFloatArray();
            float[] got = windows.toFloatArray();
            int nW = (h / ws) * (w / ws);
            for (int n = 0; n < b; n++) {
                for (int wy = 0; wy < h / ws; wy++) {
                    for (int wx = 0; wx < w / ws; wx++) {
                        int window = n * nW + wy * (w / ws) + wx;
                        for (int i = 0; i < ws; i++) {
                            for (int j = 0; j < ws; j++) {
                                for (int k = 0; k < c; k++) {
                                    float expected =
                                            xs[((n * h + wy * ws + i) * w + wx * ws + j) * c + k];
                                    assertEquals(
                                            expected, got[(window * ws * ws + i * ws + j) * c + k]);
                                }
                            }
                        }
                    }
                }
            }
            assertArrayEquals(xs, WindowOps.reverse(windows, ws, h, w).toFloatArray());
        }
    }

    @Test
    void rollMatchesTorchRollSemantics() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.arange(20f).reshape(4, 5);
            for (int shift : new int[] {-7, -2, -1, 0, 1, 3, 5}) {
                float[] got = WindowOps.roll(x, shift, 1).toFloatArray();
                for (int r = 0; r < 4; r++) {
                    for (int i = 0; i < 5; i++) {
                        int source = Math.floorMod(i - shift, 5);
                        assertEquals(r * 5 + source, got[r * 5 + i], "shift " + shift);
                    }
                }
                float[] rows = WindowOps.roll(x, shift, 0).toFloatArray();
                for (int r = 0; r < 4; r++) {
                    for (int i = 0; i < 5; i++) {
                        assertEquals(
                                Math.floorMod(r - shift, 4) * 5 + i,
                                rows[r * 5 + i],
                                "shift " + shift);
                    }
                }
            }
        }
    }

    @Test
    void padsToAMultipleOfTheWindow() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(1, 5, 3, 2));
            NDArray padded = WindowOps.padToWindow(x, 4);
            assertEquals(new Shape(1, 8, 4, 2), padded.getShape());
            assertEquals(5 * 3 * 2, padded.sum().getFloat());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> WindowOps.partition(x, 4));
            assertEquals(
                    "window size 4 does not divide the 5x3 feature map (pad it with padToWindow, or"
                            + " choose another window)",
                    e.getMessage());
        }
    }
}
