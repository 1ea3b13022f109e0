package io.github.moge.vision.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AffineTransformTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** An H x W image with distinct values 1..H*W. */
    private NDArray ramp(int h, int w) {
        return manager.arange(1f, h * w + 1f).reshape(h, w);
    }

    private static float[][] grid(NDArray image) {
        int h = (int) image.getShape().get(0);
        int w = (int) image.getShape().get(1);
        float[] flat = image.toFloatArray();
        float[][] out = new float[h][w];
        for (int y = 0; y < h; y++) {
            System.arraycopy(flat, y * w, out[y], 0, w);
        }
        return out;
    }

    @Test
    void defaultsAndNeutralParametersAreIdentity() {
        NDArray img = manager.randomUniform(0f, 1f, new Shape(1, 6, 7));
        AffineTransform none = AffineTransform.builder().build();
        assertArrayEquals(img.toFloatArray(), none.transform(img).toFloatArray(), 0f);
        AffineTransform neutral =
                AffineTransform.builder()
                        .optRotation(0f)
                        .optScale(1f)
                        .optShear(0f)
                        .optTranslate(0f, 0f)
                        .build();
        assertArrayEquals(img.toFloatArray(), neutral.transform(img).toFloatArray(), 0f);
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0}, neutral.inverseMatrix(6, 7), 0);
    }

    @Test
    void rotation90IsExactClockwiseTurn() {
        for (int n : new int[] {4, 5}) {
            NDArray img = ramp(n, n);
            float[][] in = grid(img);
            float[][] out = grid(AffineTransform.builder().optRotation(90f).build().transform(img));
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    // Clockwise: transpose then flip left-right.
                    assertEquals(in[n - 1 - x][y], out[y][x], 0f, "n=" + n + " y=" + y + " x=" + x);
                }
            }
            float[][] back =
                    grid(AffineTransform.builder().optRotation(-90f).build().transform(img));
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    assertEquals(in[x][n - 1 - y], back[y][x], 0f);
                }
            }
        }
    }

    @Test
    void integerTranslationShiftsExactly() {
        NDArray img = ramp(4, 5);
        float[][] in = grid(img);
        // 0.2 of width 5 = 1 pixel right, 0.5 of height 4 = 2 pixels down.
        float[][] out =
                grid(AffineTransform.builder().optTranslate(0.2f, 0.5f).build().transform(img));
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                float expected = (x >= 1 && y >= 2) ? in[y - 2][x - 1] : 0f;
                assertEquals(expected, out[y][x], 0f, "y=" + y + " x=" + x);
            }
        }
    }

    @Test
    void halfPixelTranslationAveragesNeighbours() {
        NDArray img = ramp(3, 4);
        float[][] in = grid(img);
        float[][] out =
                grid(AffineTransform.builder().optTranslate(0.125f, 0f).build().transform(img));
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                float left = x >= 1 ? in[y][x - 1] : 0f;
                assertEquals(0.5f * (left + in[y][x]), out[y][x], 1e-6f);
            }
        }
    }

    @Test
    void roundedTranslationUsesWholePixels() {
        NDArray img = ramp(5, 5);
        // 0.28 * 5 = 1.4 pixels, rounded to 1.
        NDArray rounded =
                AffineTransform.builder()
                        .optTranslate(0.28f, 0f)
                        .optRoundTranslation(true)
                        .build()
                        .transform(img);
        NDArray one = AffineTransform.builder().optTranslate(0.2f, 0f).build().transform(img);
        assertArrayEquals(one.toFloatArray(), rounded.toFloatArray(), 0f);
    }

    @Test
    void shearMovesRowsByTangent() {
        // One bright pixel at the top middle of a 3 x 3 image: y - cy = -1, so a 45-degree x-shear
        // moves it by -tan(45) * (-1) = +1 column.
        float[] px = new float[9];
        px[1] = 1f;
        NDArray img = manager.create(px, new Shape(3, 3));
        float[] out = AffineTransform.builder().optShear(45f).build().transform(img).toFloatArray();
        float[] expected = new float[9];
        expected[2] = 1f;
        assertArrayEquals(expected, out, 1e-6f);
    }

    @Test
    void scaleShrinksTowardsCentre() {
        // A 5 x 5 image of ones scaled by 0.5 keeps the centre and fades out at the border.
        NDArray img = manager.ones(new Shape(5, 5));
        float[][] out = grid(AffineTransform.builder().optScale(0.5f).build().transform(img));
        assertEquals(1f, out[2][2], 0f);
        assertEquals(1f, out[1][1], 0f); // samples input (0, 0)
        assertEquals(0f, out[0][0], 0f); // samples (-2, -2), outside
    }

    @Test
    void batchAndFlattenedEqualPerImage() {
        AffineTransform t =
                AffineTransform.builder()
                        .optRotation(10f)
                        .optScale(0.9f)
                        .optTranslate(0.1f, -0.05f)
                        .optShear(5f)
                        .build();
        NDArray batch = manager.randomUniform(0f, 1f, new Shape(3, 2, 8, 6));
        NDArray out = t.transformBatch(batch);
        assertEquals(batch.getShape(), out.getShape());
        for (int b = 0; b < 3; b++) {
            NDArray single = t.transform(batch.get(b));
            assertArrayEquals(single.toFloatArray(), out.get(b).toFloatArray(), 1e-6f);
            for (int c = 0; c < 2; c++) {
                NDArray plane = t.transform(batch.get(b).get(c));
                assertArrayEquals(plane.toFloatArray(), out.get(b).get(c).toFloatArray(), 1e-6f);
            }
        }
        NDArray flat = batch.get(":, 0").reshape(3, 48);
        NDArray flatOut = t.transformFlattened(flat, 8, 6);
        assertEquals(new Shape(3, 48), flatOut.getShape());
        assertArrayEquals(out.get(":, 0").toFloatArray(), flatOut.toFloatArray(), 1e-6f);
    }

    @Test
    void keepsTypeAndRejectsBadInput() {
        AffineTransform t = AffineTransform.builder().optRotation(15f).build();
        NDArray d = manager.ones(new Shape(4, 4), DataType.FLOAT64);
        assertEquals(DataType.FLOAT64, t.transform(d).getDataType());
        assertThrows(
                IllegalArgumentException.class,
                () -> t.transform(manager.ones(new Shape(4, 4), DataType.UINT8)));
        assertThrows(
                IllegalArgumentException.class, () -> t.transform(manager.ones(new Shape(16))));
        assertThrows(
                IllegalArgumentException.class,
                () -> t.transformFlattened(manager.ones(new Shape(2, 15)), 4, 4));
        assertThrows(IllegalArgumentException.class, () -> AffineTransform.builder().optScale(0f));
        assertThrows(IllegalArgumentException.class, () -> AffineTransform.builder().optShear(90f));
    }

    @Test
    void doesNotLeakIntoCallerManager() {
        AffineTransform t = AffineTransform.builder().optRotation(5f).build();
        try (NDManager m = manager.newSubManager()) {
            NDArray img = m.ones(new Shape(1, 28, 28));
            NDArray out = t.transform(img);
            assertEquals(m, out.getManager());
            assertEquals(m, img.getManager());
        }
    }
}
