package io.github.moge.vision.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.moge.vision.transform.RandAugment.Op;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RandAugment: each op on small images with uint8 results worked out by hand from Pillow's formulas
 * (the comments give the arithmetic), the level functions, magnitude sampling, the spec parser, the
 * grouping of a batch, reseeding and the pipeline step.
 */
class RandAugmentTest {

    NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** An image of 8-bit levels [1, C, H, W] from channel-major values. */
    private NDArray levels(int c, int h, int w, float... v) {
        return m.create(v, new Shape(1, c, h, w));
    }

    private static float[] f(int... v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }

    private static NDArray op(NDArray x, Op op, double arg) {
        return RandAugment.applyOp(x, op, new double[] {arg}, false, new float[] {128, 128, 128});
    }

    /** The 4 x 4 ramp v[y][x] = 10 x + 40 y. */
    private NDArray ramp() {
        float[] v = new float[16];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                v[y * 4 + x] = 10 * x + 40 * y;
            }
        }
        return levels(1, 4, 4, v);
    }

    @Test
    void autoContrastStretchesEachChannel() {
        // R: lo 10, hi 61: scale 255 / 51 = 5, offset -50 -> 0, 5, 125, 255.
        // G: lo 0, hi 254: scale 255 / 254, int(v * scale) -> 0, 127 (127.5 truncated), 200, 255.
        // B: flat (hi <= lo): unchanged.
        NDArray x = levels(3, 2, 2, f(10, 11, 35, 61, 0, 127, 200, 254, 7, 7, 7, 7));
        assertArrayEquals(
                f(0, 5, 125, 255, 0, 127, 200, 255, 7, 7, 7, 7),
                op(x, Op.AUTO_CONTRAST, Double.NaN).toFloatArray(),
                0f);
    }

    @Test
    void equalizeFollowsImageOps() {
        float[] v = new float[3 * 1024];
        for (int p = 0; p < 1024; p++) {
            v[p] = p < 512 ? 50 : p < 768 ? 100 : 150; // R: 512 x 50, 256 x 100, 256 x 150
            v[1024 + p] = 77; // G: one level only
            v[2048 + p] = p < 1000 ? 5 : 6; // B: 1000 x 5, 24 x 6
        }
        float[] y = op(levels(3, 32, 32, v), Op.EQUALIZE, Double.NaN).toFloatArray();
        // R: step = (1024 - 256) // 255 = 3, n starts at 1: lut[50] = 1 // 3 = 0, lut[100] = 513 //
        // 3 = 171,
        // lut[150] = 769 // 3 = 256, clipped to 255 by Image.point.
        assertEquals(0f, y[0], 0f);
        assertEquals(171f, y[600], 0f);
        assertEquals(255f, y[1000], 0f);
        // G: a single level is left alone.
        assertEquals(77f, y[1024 + 5], 0f);
        // B: step = (1024 - 24) // 255 = 3: lut[5] = 0, lut[6] = 1001 // 3 = 333 -> 255.
        assertEquals(0f, y[2048], 0f);
        assertEquals(255f, y[2048 + 1010], 0f);
        // Too few pixels for a step of at least 1 (6 - 3 < 255): unchanged.
        NDArray small = levels(1, 2, 3, f(0, 0, 1, 2, 2, 2));
        assertArrayEquals(
                small.toFloatArray(), op(small, Op.EQUALIZE, Double.NaN).toFloatArray(), 0f);
    }

    @Test
    void pointOpsMatchTheirTables() {
        NDArray x = levels(1, 1, 6, f(0, 25, 26, 127, 128, 200));
        assertArrayEquals(
                f(255, 230, 229, 128, 127, 55), op(x, Op.INVERT, Double.NaN).toFloatArray(), 0f);
        // Posterize keeps the top bits: 1 bit (v & 128), 3 bits (v & 224), 0 bits black, 8 bits
        // unchanged.
        assertArrayEquals(
                f(0, 0, 0, 0, 128, 128), op(x, Op.POSTERIZE_INCREASING, 1).toFloatArray(), 0f);
        assertArrayEquals(
                f(0, 0, 0, 96, 128, 192), op(x, Op.POSTERIZE_INCREASING, 3).toFloatArray(), 0f);
        assertArrayEquals(f(0, 0, 0, 0, 0, 0), op(x, Op.POSTERIZE, 0).toFloatArray(), 0f);
        assertArrayEquals(x.toFloatArray(), op(x, Op.POSTERIZE, 8).toFloatArray(), 0f);
        // Solarize with threshold 26: v < 26 stays, else 255 - v; threshold 256 changes nothing.
        assertArrayEquals(
                f(0, 25, 229, 128, 127, 55), op(x, Op.SOLARIZE_INCREASING, 26).toFloatArray(), 0f);
        assertArrayEquals(x.toFloatArray(), op(x, Op.SOLARIZE, 256).toFloatArray(), 0f);
        // SolarizeAdd 99: below 128 add (at most 255), 128 and above stay.
        assertArrayEquals(
                f(99, 124, 125, 226, 128, 200), op(x, Op.SOLARIZE_ADD, 99).toFloatArray(), 0f);
    }

    @Test
    void enhancementsBlendAsImageBlend() {
        NDArray x = levels(1, 1, 4, f(3, 100, 201, 0));
        // Brightness: trunc(f v), clipped: 1.5 -> 4 (4.5), 150, 255 (301.5), 0; 0.5 -> 1, 50, 100,
        // 0.
        assertArrayEquals(
                f(4, 150, 255, 0), op(x, Op.BRIGHTNESS_INCREASING, 1.5).toFloatArray(), 0f);
        assertArrayEquals(f(1, 50, 100, 0), op(x, Op.BRIGHTNESS, 0.5).toFloatArray(), 0f);
        // Contrast on L: mean (0 + 50 + 100 + 251) / 4 = 100.25 -> int(100.75) = 100;
        // 0.5: 100 + 0.5 (v - 100) -> 50, 75, 100, 175 (175.5); 1.5: -50 -> 0, 25, 100, 326.5 ->
        // 255.
        NDArray g = levels(1, 2, 2, f(0, 50, 100, 251));
        assertArrayEquals(
                f(50, 75, 100, 175), op(g, Op.CONTRAST_INCREASING, 0.5).toFloatArray(), 0f);
        assertArrayEquals(f(0, 25, 100, 255), op(g, Op.CONTRAST, 1.5).toFloatArray(), 0f);
        // Colour does nothing to an L image.
        assertArrayEquals(g.toFloatArray(), op(g, Op.COLOR, 0.1).toFloatArray(), 0f);
        // RGB red, green, blue, white: grey (19595 R + 38470 G + 7471 B + 32768) >> 16 = 76, 150,
        // 29, 255.
        NDArray rgb = levels(3, 2, 2, f(255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255));
        assertArrayEquals(f(76, 150, 29, 255), PilOps.grey(rgb).toFloatArray(), 0f);
        // Contrast 0.5: grey mean 510 / 4 = 127.5 -> 128; 255 -> 191 (191.5), 0 -> 64.
        assertArrayEquals(
                f(191, 64, 64, 191, 64, 191, 64, 191, 64, 64, 191, 191),
                op(rgb, Op.CONTRAST, 0.5).toFloatArray(),
                0f);
        // Colour 0.5 blends each pixel with its grey: red (165.5, 38, 38), green (75, 202.5, 75),
        // blue (14.5, 14.5, 142), white unchanged.
        assertArrayEquals(
                f(165, 75, 14, 255, 38, 202, 14, 255, 38, 75, 142, 255),
                op(rgb, Op.COLOR_INCREASING, 0.5).toFloatArray(),
                0f);
        // Colour 1.5 extrapolates and clips: red R 76 + 1.5 * 179 = 344.5 -> 255, G 76 - 114 -> 0.
        NDArray sat = op(rgb, Op.COLOR, 1.5);
        assertEquals(255f, sat.getFloat(0, 0, 0, 0), 0f);
        assertEquals(0f, sat.getFloat(0, 1, 0, 0), 0f);
    }

    @Test
    void sharpnessBlendsWithPilSmooth() {
        NDArray x =
                levels(1, 4, 4, f(10, 10, 10, 10, 10, 36, 10, 10, 10, 10, 10, 10, 10, 10, 10, 69));
        // SMOOTH (kernel 1 1 1 / 1 5 1 / 1 1 1, / 13, half up) on the interior: (1,1) (8 * 10 + 36
        // + 4 * 36)
        // / 13 = 20; (1,2) and (2,1) 156 / 13 = 12; (2,2) (36 + 69 + 7 * 10 + 40) / 13 = 16.54 ->
        // 17.
        float[] smooth = f(10, 10, 10, 10, 10, 20, 12, 10, 10, 12, 17, 10, 10, 10, 10, 69);
        assertArrayEquals(smooth, PilOps.smooth(x).toFloatArray(), 0f);
        assertArrayEquals(smooth, op(x, Op.SHARPNESS, 0).toFloatArray(), 0f);
        // Factor 2: d + 2 (v - d): 52, 8, 8, 3; factor 0.5: 28, 11, 11, 13 (13.5); the border
        // stays.
        assertArrayEquals(
                f(10, 10, 10, 10, 10, 52, 8, 10, 10, 8, 3, 10, 10, 10, 10, 69),
                op(x, Op.SHARPNESS_INCREASING, 2).toFloatArray(),
                0f);
        assertArrayEquals(
                f(10, 10, 10, 10, 10, 28, 11, 10, 10, 11, 13, 10, 10, 10, 10, 69),
                op(x, Op.SHARPNESS_INCREASING, 0.5).toFloatArray(),
                0f);
    }

    @Test
    void shearXResamplesLikePilTransform() {
        // Output (x, y) samples x + 0.5 + 0.5 (y + 0.5); outside [0, 4) -> fill 128. Bilinear after
        // the
        // half-pixel shift, truncated: row 0 at +0.25 -> 2.5, 12.5, 22.5 -> 2, 12, 22 and 30 (edge
        // clamp);
        // row 1 at +0.75 -> 47, 57, 67, fill; row 2 at +1.25 -> 92, 102, 110, fill; row 3 at +1.75
        // -> 137, 147.
        NDArray bilinear = op(ramp(), Op.SHEAR_X, 0.5);
        assertArrayEquals(
                f(2, 12, 22, 30, 47, 57, 67, 128, 92, 102, 110, 128, 137, 147, 128, 128),
                bilinear.toFloatArray(),
                0f);
        // Bicubic (a = -1) on row 0, d = 0.25, taps clamped at the edges: x = 0 taps (0, 0, 10,
        // 20):
        // 0.25 (10 + 0.25 (-10 + 0.25 * 10)) = 2.03 -> 2; x = 1 taps (0, 10, 20, 30): 13.44 -> 13;
        // x = 2 taps (10, 20, 30, 30): 23.91 -> 23; x = 3 taps (20, 30, 30, 30): 31.41 -> 31.
        NDArray bicubic =
                RandAugment.applyOp(
                        ramp(), Op.SHEAR_X, new double[] {0.5}, true, new float[] {128});
        assertArrayEquals(f(2, 13, 23, 31), bicubic.get("0, 0, 0").toFloatArray(), 0f);
        assertEquals(128f, bicubic.getFloat(0, 0, 3, 2), 0f);
        // ShearY 0 and Rotate 0 are exact identities.
        assertArrayEquals(ramp().toFloatArray(), op(ramp(), Op.SHEAR_Y, 0).toFloatArray(), 0f);
        assertArrayEquals(ramp().toFloatArray(), op(ramp(), Op.ROTATE, 0).toFloatArray(), 0f);
    }

    @Test
    void translationsAndRotationMoveWholePixels() {
        float[] r = ramp().toFloatArray();
        // TranslateXRel 0.25 of 4 px: out(x) = in(x + 1), the right column filled; both filters
        // exact.
        for (boolean bicubic : new boolean[] {false, true}) {
            float[] y =
                    RandAugment.applyOp(
                                    ramp(),
                                    Op.TRANSLATE_X_REL,
                                    new double[] {0.25},
                                    bicubic,
                                    new float[] {9})
                            .toFloatArray();
            for (int row = 0; row < 4; row++) {
                for (int col = 0; col < 4; col++) {
                    assertEquals(col < 3 ? r[row * 4 + col + 1] : 9f, y[row * 4 + col], 0f);
                }
            }
        }
        // TranslateYRel -0.25: out(y) = in(y - 1), the top row filled.
        float[] down = op(ramp(), Op.TRANSLATE_Y_REL, -0.25).toFloatArray();
        assertArrayEquals(f(128, 128, 128, 128, 0, 10, 20, 30), Arrays.copyOf(down, 8), 0f);
        // Rotate 90 (counter-clockwise): the matrix is (0, -1, 4, 1, 0, 0), out[y][x] = in[x][3 -
        // y].
        assertArrayEquals(new double[] {0, -1, 4, 1, 0, 0}, PilOps.rotateMatrix(90, 4, 4), 0);
        float[] rot = op(ramp(), Op.ROTATE, 90).toFloatArray();
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(10 * (3 - y) + 40 * x, rot[y * 4 + x], 0f);
            }
        }
        // Negative angles are taken modulo 360 first, as Python does: -270 is 90.
        assertArrayEquals(PilOps.rotateMatrix(90, 4, 4), PilOps.rotateMatrix(-270, 4, 4), 0);
        // A per-channel fill for RGB images.
        NDArray rgb = m.zeros(new Shape(1, 3, 2, 2));
        NDArray shifted =
                RandAugment.applyOp(
                        rgb,
                        Op.TRANSLATE_X_REL,
                        new double[] {0.5},
                        true,
                        new float[] {124, 116, 104});
        assertArrayEquals(
                f(0, 124, 0, 124, 0, 116, 0, 116, 0, 104, 0, 104), shifted.toFloatArray(), 0f);
    }

    @Test
    void levelFunctionsAreTimms() {
        double e = 1e-12;
        assertEquals(27.0, Op.ROTATE.argument(9, false), e);
        assertEquals(-27.0, Op.ROTATE.argument(9, true), e);
        assertEquals(1, Op.POSTERIZE_INCREASING.argument(9, true), 0); // 4 - int(3.6), no sign
        assertEquals(4, Op.POSTERIZE_INCREASING.argument(0, false), 0);
        assertEquals(0, Op.POSTERIZE_INCREASING.argument(10, false), 0);
        assertEquals(3, Op.POSTERIZE.argument(9, false), 0);
        assertEquals(26, Op.SOLARIZE_INCREASING.argument(9, false), 0); // 256 - int(230.4)
        assertEquals(230, Op.SOLARIZE.argument(9, false), 0);
        assertEquals(0, Op.SOLARIZE_INCREASING.argument(15, false), 0); // min(256, ...) for m > 10
        assertEquals(99, Op.SOLARIZE_ADD.argument(9, false), 0);
        assertEquals(128, Op.SOLARIZE_ADD.argument(20, false), 0);
        assertEquals(1.81, Op.BRIGHTNESS_INCREASING.argument(9, false), e);
        assertEquals(0.19, Op.COLOR_INCREASING.argument(9, true), e);
        assertEquals(0.1, Op.CONTRAST_INCREASING.argument(10, true), e); // max(0.1, 1 - 0.9)
        assertEquals(0.1, Op.SHARPNESS_INCREASING.argument(15, true), e); // max(0.1, 1 - 1.35)
        assertEquals(1.72, Op.SHARPNESS.argument(9, true), e); // 1.8 * 0.9 + 0.1, never negated
        assertEquals(0.27, Op.SHEAR_X.argument(9, false), e);
        assertEquals(-0.27, Op.SHEAR_Y.argument(9, true), e);
        assertEquals(-0.405, Op.TRANSLATE_X_REL.argument(9, true), e);
        assertTrue(Double.isNaN(Op.EQUALIZE.argument(9, false)));
        assertFalse(Op.SOLARIZE_ADD.isSigned());
        assertTrue(Op.ROTATE.isGeometric() && !Op.SHARPNESS.isGeometric());
    }

    @Test
    void magnitudesAreSampledPerApplicationAndClipped() {
        RandAugment ra =
                new RandAugment(
                        RandAugment.Policy.parse("rand-m9-mstd0.5-inc1"),
                        RandAugment.Interpolation.BICUBIC,
                        new int[] {128},
                        3);
        int n = 20000;
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double v = ra.drawMagnitude();
            assertTrue(v >= 0 && v <= 10);
            sum += v;
            sq += v * v;
        }
        double mean = sum / n;
        assertEquals(9.0, mean, 0.02); // clipping at 10 removes only 2.3% of the mass
        assertEquals(0.5, Math.sqrt(sq / n - mean * mean), 0.03);
        // m = 10: half the draws land above 10 and are clipped to exactly 10.
        RandAugment top =
                new RandAugment(
                        RandAugment.Policy.parse("rand-m10-mstd0.5"),
                        RandAugment.Interpolation.BICUBIC,
                        new int[] {128},
                        4);
        int clipped = 0;
        for (int i = 0; i < 4000; i++) {
            clipped += top.drawMagnitude() == 10.0 ? 1 : 0;
        }
        assertEquals(2000, clipped, 150);
        // mmax raises the clip; without noise the magnitude is m itself (clipped to mmax: 15 ->
        // 10).
        RandAugment high =
                new RandAugment(
                        RandAugment.Policy.parse("rand-m15-mstd1-mmax20"),
                        RandAugment.Interpolation.BICUBIC,
                        new int[] {128},
                        5);
        double maxSeen = 0;
        for (int i = 0; i < 2000; i++) {
            maxSeen = Math.max(maxSeen, high.drawMagnitude());
        }
        assertTrue(maxSeen > 16 && maxSeen <= 20, "max " + maxSeen);
        assertEquals(
                10.0,
                new RandAugment(
                                RandAugment.Policy.parse("rand-m15"),
                                RandAugment.Interpolation.BICUBIC,
                                new int[] {128},
                                5)
                        .drawMagnitude(),
                0);
        // mstd above 100: uniform in [0, m].
        RandAugment uniform =
                new RandAugment(
                        RandAugment.Policy.parse("rand-m8-mstd101"),
                        RandAugment.Interpolation.BICUBIC,
                        new int[] {128},
                        6);
        double lo = 10;
        double hi = 0;
        for (int i = 0; i < 2000; i++) {
            double v = uniform.drawMagnitude();
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        assertTrue(lo >= 0 && lo < 0.1 && hi <= 8 && hi > 7.9);
        // Signed ops flip with probability 1/2 and keep |argument| = 3 m for Rotate.
        int negative = 0;
        for (int i = 0; i < 4000; i++) {
            double a = ra.drawArgument(Op.ROTATE);
            assertTrue(Math.abs(a) <= 30);
            negative += a < 0 ? 1 : 0;
        }
        assertEquals(2000, negative, 150);
        for (int i = 0; i < 100; i++) {
            assertTrue(ra.drawArgument(Op.SOLARIZE_ADD) >= 0);
        }
    }

    @Test
    void specParserReadsTimmSpecsAndRefusesOthers() {
        RandAugment.Policy p = RandAugment.Policy.parse(RandAugment.Policy.REFERENCE);
        assertEquals(9, p.getMagnitude());
        assertEquals(0.5, p.getMagnitudeStd(), 0);
        assertTrue(p.isIncreasing());
        assertEquals(2, p.getNumLayers());
        assertEquals(0.5, p.getProbability(), 0);
        assertEquals(10, p.getMagnitudeMax());
        assertEquals("rand-m9-n2-p0.5-mstd0.5-mmax10-inc1", p.toString());
        assertEquals(p, RandAugment.Policy.parse(p.toString()));
        List<String> names = p.ops().stream().map(Op::timmName).toList();
        assertEquals(
                List.of(
                        "AutoContrast",
                        "Equalize",
                        "Invert",
                        "Rotate",
                        "PosterizeIncreasing",
                        "SolarizeIncreasing",
                        "SolarizeAdd",
                        "ColorIncreasing",
                        "ContrastIncreasing",
                        "BrightnessIncreasing",
                        "SharpnessIncreasing",
                        "ShearX",
                        "ShearY",
                        "TranslateXRel",
                        "TranslateYRel"),
                names);
        RandAugment.Policy q = RandAugment.Policy.parse("rand-n3-p0.3-mmax15-m7");
        assertEquals(7, q.getMagnitude());
        assertEquals(3, q.getNumLayers());
        assertEquals(0.3, q.getProbability(), 0);
        assertEquals(15, q.getMagnitudeMax());
        assertEquals(0, q.getMagnitudeStd(), 0);
        assertFalse(q.isIncreasing());
        assertEquals(Op.POSTERIZE, q.ops().get(4));
        assertEquals(10, RandAugment.Policy.parse("rand").getMagnitude());
        assertTrue(Double.isInfinite(RandAugment.Policy.parse("rand-mstd200").getMagnitudeStd()));
        for (String bad :
                new String[] {
                    "rand-m9-w0",
                    "rand-m9-tweights",
                    "rand-x1",
                    "rand-m",
                    "rand-m9-m8",
                    "augmix-m3",
                    "rand-p1.5",
                    "rand-m9.5",
                    "rand-inc2",
                    "rand-mmax0",
                    "",
                    "rand-m9--n2"
                }) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> RandAugment.Policy.parse(bad),
                            bad);
            assertTrue(
                    e.getMessage().contains("RandAugment") || e.getMessage().contains("rand"),
                    e.getMessage());
        }
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () -> RandAugment.Policy.parse("rand-m9-w0"))
                        .getMessage()
                        .contains("'w0'"));
    }

    @Test
    void groupedBatchEqualsImageByImage() {
        RandAugment ra =
                new RandAugment(
                        RandAugment.Policy.parse("rand-m9-mstd0.5-inc1-n3-p0.8"),
                        RandAugment.Interpolation.RANDOM,
                        new int[] {124, 116, 104},
                        17);
        NDArray x =
                m.randomInteger(0, 256, new Shape(24, 3, 8, 8), ai.djl.ndarray.types.DataType.INT32)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                        .div(255f);
        RandAugment.Plan plan = ra.plan(24);
        NDArray batch = ra.apply(x, plan);
        float[] fill = {124, 116, 104};
        int applied = 0;
        for (int i = 0; i < 24; i++) {
            NDArray one = x.get(i + ":" + (i + 1)).mul(255f).round();
            for (int l = 0; l < 3; l++) {
                Op op = plan.ops[l][i];
                if (op != null) {
                    applied++;
                    one =
                            RandAugment.applyOp(
                                    one,
                                    op,
                                    new double[] {plan.arguments[l][i]},
                                    plan.bicubic[l][i],
                                    fill);
                }
            }
            assertArrayEquals(
                    one.div(255f).toFloatArray(), batch.get(i).toFloatArray(), 0f, "image " + i);
        }
        assertTrue(applied > 40, "applied " + applied);
    }

    @Test
    void reseedingRepeatsTheAugmentation() {
        RandAugment ra =
                new RandAugment(
                        RandAugment.Policy.parse(RandAugment.Policy.REFERENCE),
                        RandAugment.Interpolation.BICUBIC,
                        new int[] {128},
                        1);
        NDArray x =
                m.randomInteger(
                                0,
                                256,
                                new Shape(16, 3, 16, 16),
                                ai.djl.ndarray.types.DataType.INT32)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                        .div(255f);
        ra.reseed(42);
        float[] a = ra.apply(x).toFloatArray();
        float[] b = ra.apply(x).toFloatArray();
        ra.reseed(42);
        float[] c = ra.apply(x).toFloatArray();
        assertArrayEquals(a, c, 0f);
        assertFalse(Arrays.equals(a, b));
    }

    @Test
    void pipelineAppliesRandAugmentAfterTheFlip() {
        NDArray x =
                m.randomInteger(
                                0,
                                256,
                                new Shape(32, 3, 32, 32),
                                ai.djl.ndarray.types.DataType.INT32)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                        .div(255f);
        NDArray labels = m.arange(32f);
        AugmentationPipeline pipeline =
                AugmentationPipeline.builder()
                        .optRandomCrop(4)
                        .optFlip(0.5f)
                        .optRandAugment("rand-m9-mstd0.5-inc1")
                        .optSeed(3)
                        .build();
        NDList out = pipeline.train(x, labels, 99);
        NDArray y = out.get(0);
        assertEquals(x.getShape(), y.getShape());
        float[] v = y.toFloatArray();
        for (float e : v) {
            assertTrue(e >= 0f && e <= 1f);
            assertEquals(Math.rint(e * 255f), e * 255f, 1e-3f);
        }
        assertArrayEquals(v, pipeline.train(x, labels, 99).get(0).toFloatArray(), 0f);
        // The same crop and flip without RandAugment: RandAugment changes some images and leaves
        // others.
        NDArray plain =
                AugmentationPipeline.builder()
                        .optRandomCrop(4)
                        .optFlip(0.5f)
                        .optSeed(3)
                        .build()
                        .train(x, labels, 99)
                        .get(0);
        int changed = 0;
        for (int i = 0; i < 32; i++) {
            changed += Arrays.equals(plain.get(i).toFloatArray(), y.get(i).toFloatArray()) ? 0 : 1;
        }
        assertTrue(changed > 10 && changed < 32, "changed " + changed);
        assertNotEquals(0f, plain.sub(y).abs().sum().getFloat());
        // Off by "none"; a bad spec is refused at build time.
        assertArrayEquals(
                plain.toFloatArray(),
                AugmentationPipeline.builder()
                        .optRandomCrop(4)
                        .optFlip(0.5f)
                        .optRandAugment("none")
                        .optSeed(3)
                        .build()
                        .train(x, labels, 99)
                        .get(0)
                        .toFloatArray(),
                0f);
        assertThrows(
                IllegalArgumentException.class,
                () -> AugmentationPipeline.builder().optRandAugment("rand-q1"));
        assertArrayEquals(
                new int[] {124, 116, 104},
                RandAugment.fillFromMean(new float[] {0.485f, 0.456f, 0.406f}));
        assertArrayEquals(new int[] {128}, RandAugment.fillFromMean(null));
    }
}
