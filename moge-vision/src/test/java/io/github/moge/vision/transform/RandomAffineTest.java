package io.github.moge.vision.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paper's per-image random transforms: sampler ranges, nearest interpolation and exact images.
 */
class RandomAffineTest {

    @Test
    void drawsLieWithinTheRangesAndCoverThem() {
        RandomAffine rotation = RandomAffine.builder().optDegrees(15f).optSeed(3).build();
        RandomAffine shift = RandomAffine.builder().optTranslate(0.1f, 0.1f).optSeed(3).build();
        RandomAffine shear = RandomAffine.builder().optShear(10f).optScale(0.8f).build();
        double minAngle = 0;
        double maxAngle = 0;
        double sum = 0;
        int[] dxCount = new int[7]; // shifts -3..3 of a 28-pixel image (0.1 * 28 = 2.8)
        for (int i = 0; i < 4000; i++) {
            float a = rotation.sample(i, 28, 28).getRotation();
            minAngle = Math.min(minAngle, a);
            maxAngle = Math.max(maxAngle, a);
            sum += a;
            AffineTransform t = shift.sample(i, 28, 28);
            double dx = t.getTranslateX() * 28;
            double dy = t.getTranslateY() * 28;
            assertEquals(Math.rint(dx), dx, 1e-4, "whole pixels");
            assertTrue(Math.abs(dy) <= 3 + 1e-4 && Math.abs(dx) <= 3 + 1e-4, dx + ", " + dy);
            dxCount[(int) Math.rint(dx) + 3]++;
            AffineTransform s = shear.sample(i, 28, 28);
            assertTrue(
                    Math.abs(s.getShearX()) <= 10f && s.getShearY() == 0f && s.getScale() == 0.8f);
            assertEquals(0f, s.getRotation());
        }
        assertTrue(
                minAngle >= -15 && minAngle < -14.9 && maxAngle <= 15 && maxAngle > 14.9,
                minAngle + " " + maxAngle);
        assertEquals(0, sum / 4000, 0.5, "uniform around 0");
        // round(U(-2.8, 2.8)): +-3 each with probability 0.3 / 5.6, the others 1 / 5.6
        assertEquals(4000 * 0.3 / 5.6, dxCount[0], 60);
        assertEquals(4000 / 5.6, dxCount[3], 90);
        // the draw of an image depends on the seed and its index only
        assertEquals(
                rotation.sample(17, 28, 28).getRotation(),
                rotation.sample(17, 28, 28).getRotation());
        assertTrue(
                rotation.sample(17, 28, 28).getRotation()
                        != RandomAffine.builder()
                                .optDegrees(15f)
                                .optSeed(4)
                                .build()
                                .sample(17, 28, 28)
                                .getRotation());
    }

    @Test
    void nearestTakesTheClosestPixelAndFillsZero() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray ramp = manager.arange(1f, 17f).reshape(4, 4);
            // 0.1 * 4 = 0.4 pixels: every output pixel's source is 0.4 to its left, nearest is
            // itself
            NDArray small =
                    AffineTransform.builder()
                            .optTranslate(0.1f, 0f)
                            .optInterpolation(AffineTransform.Interpolation.NEAREST)
                            .build()
                            .transform(ramp);
            assertArrayEquals(ramp.toFloatArray(), small.toFloatArray(), 0f);
            // 0.15 * 4 = 0.6 pixels: the content moves one whole pixel right, the first column is 0
            NDArray moved =
                    AffineTransform.builder()
                            .optTranslate(0.15f, 0f)
                            .optInterpolation(AffineTransform.Interpolation.NEAREST)
                            .build()
                            .transform(ramp);
            assertArrayEquals(
                    new float[] {0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15},
                    moved.toFloatArray(),
                    0f);
        }
    }

    @Test
    void aBatchWarpsEveryImageWithItsOwnDrawWhateverTheBatching() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray images = manager.randomUniform(0f, 1f, new Shape(5, 36));
            RandomAffine warp =
                    RandomAffine.builder()
                            .optDegrees(15f)
                            .optTranslate(0.1f, 0.1f)
                            .optShear(5f)
                            .optSeed(9)
                            .build();
            NDArray batch = warp.warpFlattened(images, 6, 6, 100);
            for (int i = 0; i < 5; i++) {
                NDArray one = warp.sample(100 + i, 6, 6).transformFlattened(images.get(i), 6, 6);
                assertArrayEquals(
                        one.toFloatArray(), batch.get(i).toFloatArray(), 0f, "image " + i);
            }
            NDArray tail = warp.warpFlattened(images.get("2:"), 6, 6, 102);
            assertArrayEquals(batch.get("2:").toFloatArray(), tail.toFloatArray(), 0f);
            // a pure whole-pixel shift with nearest is an exact copy of the shifted pixels
            RandomAffine shift =
                    RandomAffine.builder().optTranslate(0.34f, 0.34f).optSeed(1).build();
            NDArray out = shift.warpFlattened(images, 6, 6, 0);
            float[] in = images.toFloatArray();
            float[] got = out.toFloatArray();
            for (int i = 0; i < 5; i++) {
                AffineTransform t = shift.sample(i, 6, 6);
                int dx = (int) Math.rint(t.getTranslateX() * 6);
                int dy = (int) Math.rint(t.getTranslateY() * 6);
                for (int y = 0; y < 6; y++) {
                    for (int x = 0; x < 6; x++) {
                        int sx = x - dx;
                        int sy = y - dy;
                        float expected =
                                sx >= 0 && sx < 6 && sy >= 0 && sy < 6
                                        ? in[i * 36 + sy * 6 + sx]
                                        : 0f;
                        assertEquals(
                                expected,
                                got[i * 36 + y * 6 + x],
                                "image " + i + " (" + x + ", " + y + ")");
                    }
                }
            }
            assertThrows(
                    IllegalArgumentException.class,
                    () -> warp.warpFlattened(images.reshape(5, 6, 6), 6, 6, 0));
        }
    }

    @Test
    void thePapersTableUsesTheValuesAsRanges() {
        List<InvarianceTransforms.Entry> paper = InvarianceTransforms.paper(42);
        assertEquals(12, paper.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(InvarianceTransforms.all().get(i).getName(), paper.get(i).getName());
        }
        assertThrows(IllegalStateException.class, () -> paper.get(0).getTransform());
        RandomAffine rotation15 = (RandomAffine) paper.get(2).getWarp();
        assertTrue(rotation15.toString().contains("degrees=15.0"), rotation15.toString());
        RandomAffine scale05 = (RandomAffine) paper.get(3).getWarp();
        assertEquals(0.5f, scale05.sample(7, 28, 28).getScale());
        assertEquals(0f, scale05.sample(7, 28, 28).getRotation());
        AffineTransform vertical = ((RandomAffine) paper.get(6).getWarp()).sample(5, 28, 28);
        assertEquals(0f, vertical.getTranslateX(), "translation (0,0.1): horizontal range 0");
        assertTrue(paper.get(11).getWarp().toString().contains("shear=15.0"));
        assertTrue(paper.get(11).getWarp().toString().contains("nearest"));
    }
}
