package io.github.moge.vision.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchAugmentationsTest {

    NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** A batch whose every value is distinct: x[b, c, i, j] = b * 1000 + c * 100 + i * 10 + j. */
    private NDArray ramp(int b, int c, int h, int w) {
        float[] v = new float[b * c * h * w];
        int k = 0;
        for (int i0 = 0; i0 < b; i0++) {
            for (int i1 = 0; i1 < c; i1++) {
                for (int i2 = 0; i2 < h; i2++) {
                    for (int i3 = 0; i3 < w; i3++) {
                        v[k++] = i0 * 1000 + i1 * 100 + i2 * 10 + i3;
                    }
                }
            }
        }
        return m.create(v, new Shape(b, c, h, w));
    }

    @Test
    void padToSizeCentresTheImage() {
        NDArray x = m.ones(new Shape(2, 1, 28, 28));
        NDArray y = new PadToSize(32).transform(x);
        assertEquals(new Shape(2, 1, 32, 32), y.getShape());
        assertEquals(2 * 28 * 28, y.sum().getFloat(), 0f);
        assertEquals(0f, y.getFloat(0, 0, 1, 5), 0f);
        assertEquals(1f, y.getFloat(0, 0, 2, 2), 0f);
        assertEquals(1f, y.getFloat(1, 0, 29, 29), 0f);
        assertEquals(0f, y.getFloat(1, 0, 30, 29), 0f);
        assertEquals(
                new Shape(1, 32, 32),
                new PadToSize(32).transform(m.ones(new Shape(1, 28, 28))).getShape());
    }

    @Test
    void cropWithCentreOffsetIsIdentityAndShiftsOtherwise() {
        NDArray x = ramp(3, 2, 5, 6);
        NDArray same = RandomCropWithPadding.crop(x, 2, new int[] {2, 2, 2}, new int[] {2, 2, 2});
        assertArrayEquals(x.toFloatArray(), same.toFloatArray(), 0f);
        assertArrayEquals(
                x.toFloatArray(),
                RandomCropWithPadding.crop(x, 0, new int[3], new int[3]).toFloatArray(),
                0f);
        // Offset (dy, dx) = (3, 1) with padding 2: out[i, j] = x[i + 1, j - 1], zero outside.
        NDArray s = RandomCropWithPadding.crop(x, 2, new int[] {2, 3, 2}, new int[] {2, 1, 2});
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 6; j++) {
                float expected =
                        (i + 1 < 5 && j - 1 >= 0) ? 1000 + 100 + (i + 1) * 10 + (j - 1) : 0f;
                assertEquals(expected, s.getFloat(1, 1, i, j), 0f, "(" + i + "," + j + ")");
            }
        }
        assertArrayEquals(x.get(0).toFloatArray(), s.get(0).toFloatArray(), 0f);
        // Random crops keep the shape and stay a shifted copy (total mass can only shrink).
        NDArray r = new RandomCropWithPadding(4, 7).apply(x);
        assertEquals(x.getShape(), r.getShape());
        assertTrue(r.sum().getFloat() <= x.sum().getFloat());
    }

    @Test
    void flipTwiceIsIdentityAndFlipMirrors() {
        NDArray x = ramp(4, 3, 3, 5);
        NDArray once = RandomHorizontalFlip.flip(x);
        assertEquals(4f, once.getFloat(0, 0, 0, 0), 0f);
        assertArrayEquals(x.toFloatArray(), RandomHorizontalFlip.flip(once).toFloatArray(), 0f);
        RandomHorizontalFlip always = new RandomHorizontalFlip(1f, 3);
        assertArrayEquals(once.toFloatArray(), always.apply(x).toFloatArray(), 0f);
        assertArrayEquals(x.toFloatArray(), always.apply(always.apply(x)).toFloatArray(), 0f);
        assertArrayEquals(
                x.toFloatArray(), new RandomHorizontalFlip(0f, 3).apply(x).toFloatArray(), 0f);
        // With p = 0.5 every image is either itself or its mirror, and the same seed repeats.
        NDArray big = ramp(32, 1, 2, 3);
        NDArray a = new RandomHorizontalFlip(0.5f, 11).apply(big);
        NDArray b = new RandomHorizontalFlip(0.5f, 11).apply(big);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 0f);
        int flipped = 0;
        for (int i = 0; i < 32; i++) {
            boolean same =
                    java.util.Arrays.equals(a.get(i).toFloatArray(), big.get(i).toFloatArray());
            boolean mirrored =
                    java.util.Arrays.equals(
                            a.get(i).toFloatArray(),
                            RandomHorizontalFlip.flip(big.get(i)).toFloatArray());
            assertTrue(same || mirrored);
            flipped += mirrored ? 1 : 0;
        }
        assertTrue(flipped > 5 && flipped < 27, "flipped " + flipped);
    }

    @Test
    void colorJitterFactorsActAsDefined() {
        NDArray x = m.randomUniform(0.2f, 0.8f, new Shape(2, 3, 4, 4));
        assertArrayEquals(
                x.toFloatArray(),
                ColorJitter.apply(x, new float[] {1, 1}, new float[] {1, 1}, new float[] {1, 1})
                        .toFloatArray(),
                1e-6f);
        NDArray bright = ColorJitter.apply(x, new float[] {0.5f, 1.2f}, null, null);
        assertArrayEquals(x.get(0).mul(0.5f).toFloatArray(), bright.get(0).toFloatArray(), 1e-6f);
        NDArray flat = ColorJitter.apply(x, null, new float[] {0f, 0f}, null);
        // Contrast 0: every pixel becomes the image's mean grey level.
        NDArray grey = ColorJitter.grey(x.get("0:1"));
        float mean = grey.mean().getFloat();
        for (float v : flat.get(0).toFloatArray()) {
            assertEquals(mean, v, 1e-5f);
        }
        // Saturation 0: all three channels equal the grey image.
        NDArray desat = ColorJitter.apply(x, null, null, new float[] {0f, 0f});
        assertArrayEquals(desat.get(1, 0).toFloatArray(), desat.get(1, 2).toFloatArray(), 1e-6f);
        assertArrayEquals(
                ColorJitter.grey(x).get(1, 0).toFloatArray(),
                desat.get(1, 1).toFloatArray(),
                1e-6f);
        NDArray jittered = new ColorJitter(0.4f, 0.4f, 0.4f, 5).apply(x);
        assertTrue(jittered.min().getFloat() >= 0f && jittered.max().getFloat() <= 1f);
        assertNotEquals(x.sum().getFloat(), jittered.sum().getFloat());
    }

    @Test
    void normalizeUsesChannelConstants() {
        NDArray x = m.ones(new Shape(2, 3, 2, 2));
        NDArray y =
                new Normalize(new float[] {0.5f, 0f, 1f}, new float[] {0.5f, 2f, 1f}).transform(x);
        assertEquals(1f, y.getFloat(1, 0, 1, 1), 1e-6f);
        assertEquals(0.5f, y.getFloat(1, 1, 1, 1), 1e-6f);
        assertEquals(0f, y.getFloat(1, 2, 1, 1), 1e-6f);
    }

    @Test
    void randomErasingMakesOneRectanglePerChosenImage() {
        int b = 64;
        int h = 16;
        int w = 12;
        RandomErasing always = new RandomErasing(1f, RandomErasing.Mode.CONST, 9);
        NDArray mask = always.sampleMask(m, b, h, w);
        int erased = 0;
        for (int i = 0; i < b; i++) {
            float[] px = mask.get(i, 0).toFloatArray();
            int count = 0;
            int top = h;
            int bottom = -1;
            int left = w;
            int right = -1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (px[y * w + x] == 1f) {
                        count++;
                        top = Math.min(top, y);
                        bottom = Math.max(bottom, y);
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                    }
                }
            }
            if (count > 0) {
                erased++;
                // Exactly one filled rectangle: the bounding box is completely set.
                assertEquals((bottom - top + 1) * (right - left + 1), count);
                double share = count / (double) (h * w);
                assertTrue(share >= 0.01 && share <= 0.45, "share " + share);
            }
        }
        assertTrue(
                erased >= 60,
                "almost every image gets a box when p = 1 (some draws never fit): " + erased);
        NDArray none = new RandomErasing(0f, RandomErasing.Mode.CONST, 9).sampleMask(m, b, h, w);
        assertEquals(0f, none.sum().getFloat(), 0f);
        int half = 0;
        NDArray halfMask =
                new RandomErasing(0.5f, RandomErasing.Mode.CONST, 4).sampleMask(m, 200, h, w);
        for (int i = 0; i < 200; i++) {
            half += halfMask.get(i).sum().getFloat() > 0 ? 1 : 0;
        }
        assertTrue(half > 70 && half < 130, "p = 0.5 erases about half: " + half);
        // Applying in CONST mode zeroes exactly the mask.
        NDArray ones = m.ones(new Shape(8, 3, h, w));
        RandomErasing a = new RandomErasing(1f, RandomErasing.Mode.CONST, 21);
        RandomErasing same = new RandomErasing(1f, RandomErasing.Mode.CONST, 21);
        NDArray out = a.apply(ones);
        NDArray expectedMask = same.sampleMask(m, 8, h, w);
        assertArrayEquals(
                m.ones(new Shape(8, 3, h, w)).sub(expectedMask).toFloatArray(),
                out.toFloatArray(),
                0f);
    }

    @Test
    void mixupWithLambdaOneIsIdentityAndLabelsMixExactly() {
        NDArray x = ramp(4, 1, 2, 2);
        NDArray y = m.create(new float[] {0, 2, 1, 2});
        MixupCutmix mix = new MixupCutmix(0.8f, 0f, 0.5f, 1f, 0f, 3, 1);
        NDList id = mix.mixup(x, y, 1f);
        assertArrayEquals(x.toFloatArray(), id.get(0).toFloatArray(), 0f);
        assertArrayEquals(
                new float[] {1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}, id.get(1).toFloatArray(), 0f);
        NDList mixed = mix.mixup(x, y, 0.3f);
        assertArrayEquals(
                x.get(1).mul(0.3f).add(x.get(2).mul(0.7f)).toFloatArray(),
                mixed.get(0).get(1).toFloatArray(),
                1e-4f);
        // Sample 0 (class 0) pairs with sample 3 (class 2); sample 1 (class 2) with sample 2 (class
        // 1).
        assertArrayEquals(new float[] {0.3f, 0f, 0.7f}, mixed.get(1).get(0).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0f, 0.7f, 0.3f}, mixed.get(1).get(1).toFloatArray(), 1e-6f);
        // Label smoothing in the targets: 0.1 over 3 classes.
        MixupCutmix smooth = new MixupCutmix(0.8f, 0f, 0.5f, 1f, 0.1f, 3, 1);
        float off = 0.1f / 3;
        assertArrayEquals(
                new float[] {0.9f + off, off, off},
                smooth.mixup(x, y, 1f).get(1).get(0).toFloatArray(),
                1e-6f);
        // Random draws: targets stay distributions and lambda is in [0, 1].
        for (int t = 0; t < 5; t++) {
            NDList r = new MixupCutmix(0.8f, 1f, 0.5f, 1f, 0.1f, 3, t).apply(x, y);
            float[] sums = r.get(1).sum(new int[] {1}).toFloatArray();
            for (float s : sums) {
                assertEquals(1f, s, 1e-5f);
            }
        }
    }

    @Test
    void cutmixBoxAreaMatchesLambda() {
        int h = 32;
        int w = 32;
        float[] vals = {0, 1, 2, 3};
        NDArray x = m.create(vals).reshape(4, 1, 1, 1).broadcast(new Shape(4, 1, h, w));
        NDArray y = m.create(new float[] {0, 1, 2, 3});
        MixupCutmix mix = new MixupCutmix(0f, 1f, 0.5f, 1f, 0f, 4, 3);
        int[] box = MixupCutmix.cutmixBox(h, w, 0.75f, 16, 16);
        assertArrayEquals(new int[] {8, 24, 8, 24}, box); // side ratio sqrt(0.25) = 0.5
        NDList out = mix.cutmix(x, y, box);
        NDArray changed =
                out.get(0)
                        .neq(x)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                        .sum(new int[] {1, 2, 3});
        assertArrayEquals(new float[] {256, 256, 256, 256}, changed.toFloatArray(), 0f);
        assertArrayEquals(
                new float[] {0.75f, 0, 0, 0.25f}, out.get(1).get(0).toFloatArray(), 1e-6f);
        // A clipped box at the corner: lambda is corrected to the real area.
        int[] corner = MixupCutmix.cutmixBox(h, w, 0.75f, 0, 0);
        assertArrayEquals(new int[] {0, 8, 0, 8}, corner);
        assertEquals(1f - 64f / 1024f, mix.cutmix(x, y, corner).get(1).get(0).getFloat(0), 1e-6f);
        // Random CutMix: the share of changed pixels equals 1 - lastLambda.
        for (int t = 0; t < 5; t++) {
            MixupCutmix r = new MixupCutmix(0f, 1f, 0.5f, 1f, 0f, 4, 100 + t);
            NDList o = r.apply(x, y);
            float share =
                    o.get(0)
                                    .get(0)
                                    .neq(x.get(0))
                                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                                    .sum()
                                    .getFloat()
                            / (h * w);
            assertEquals(1f - r.getLastLambda(), share, 1e-6f);
            assertEquals(r.getLastLambda(), o.get(1).get(0).getFloat(0), 1e-6f);
        }
    }

    @Test
    void betaSamplerHasTheRightMean() {
        java.util.Random r = new java.util.Random(5);
        for (double a : new double[] {0.2, 0.8, 1.0, 2.0}) {
            double sum = 0;
            double sq = 0;
            int n = 20000;
            for (int i = 0; i < n; i++) {
                double v = BetaSampler.beta(r, a);
                assertTrue(v >= 0 && v <= 1);
                sum += v;
                sq += v * v;
            }
            double mean = sum / n;
            double var = sq / n - mean * mean;
            assertEquals(0.5, mean, 0.01, "alpha " + a);
            assertEquals(1 / (4 * (2 * a + 1)), var, 0.01, "alpha " + a);
        }
    }

    @Test
    void pipelineIsSeededAndEvalIsDeterministic() {
        NDArray x = m.randomUniform(0f, 1f, new Shape(6, 1, 28, 28));
        NDArray y = m.create(new float[] {0, 1, 2, 3, 4, 5});
        AugmentationPipeline.Builder b =
                AugmentationPipeline.builder()
                        .optPadTo(32)
                        .optRandomCrop(4)
                        .optFlip(0.5f)
                        .optColorJitter(0.4f)
                        .optNormalize(Normalize.FASHION_MNIST_MEAN, Normalize.FASHION_MNIST_STD)
                        .optMixupCutmix(0.8f, 1f)
                        .optLabelSmoothing(0.1f)
                        .optNumClasses(10)
                        .optSeed(42);
        NDList a = b.build().train(x, y);
        NDList c = b.build().train(x, y);
        assertEquals(new Shape(6, 1, 32, 32), a.get(0).getShape());
        assertEquals(new Shape(6, 10), a.get(1).getShape());
        assertArrayEquals(a.get(0).toFloatArray(), c.get(0).toFloatArray(), 0f);
        NDArray e = b.build().eval(x);
        assertEquals((0f - 0.2860f) / 0.3530f, e.getFloat(0, 0, 0, 0), 1e-5f);
    }
}
