package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The PIL (Pillow) 8-bit image operations that timm's RandAugment calls, on batches of 8-bit
 * levels: {@code [n, C, H, W]} float32 arrays holding integers 0..255, C = 1 (PIL mode L) or 3
 * (RGB). Each method reproduces Pillow's arithmetic (Pillow 9 to 11 on x86-64), so a known image
 * and parameter give PIL's uint8 result exactly:
 *
 * <ul>
 *   <li>look-up tables (autocontrast, equalize) are built on the host as {@code ImageOps} builds
 *       them, in double precision, and applied on the device with one gather;
 *   <li>{@code Image.blend} (every {@code ImageEnhance} class) computes {@code in1 + f (in2 - in1)}
 *       in float32 with {@code f} rounded to float32, then truncates (clipping to 0..255 first when
 *       {@code f} is outside [0, 1]); the float32 NDArray ops here round the same way;
 *   <li>the affine resamplers ({@code Image.transform(AFFINE)}, {@code Image.rotate}) work in
 *       double precision with pixel centres at half-integers, edge-clamped neighbours, truncation,
 *       and the fill colour where the source position falls outside the image; they are computed
 *       here in float64 with the same operation order (x86-64 builds do not fuse multiply-adds; an
 *       FMA build of Pillow can differ in the last bit, and so by one level where a value lands
 *       exactly on an integer).
 * </ul>
 */
final class PilOps {

    private PilOps() {}

    /** {@code ImageOps.invert}: 255 - v. */
    static NDArray invert(NDArray levels) {
        return levels.neg().add(255f);
    }

    /**
     * {@code ImageOps.posterize}: keeps the top {@code bits} bits ({@code v & ~(2^(8 - bits) -
     * 1)}); timm returns the image unchanged for 8 bits or more, and 0 bits or fewer give black.
     */
    static NDArray posterize(NDArray levels, int[] bits) {
        float[] q = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            q[i] = bits[i] >= 8 ? 1f : (float) Math.pow(2, Math.min(9, 8 - bits[i]));
        }
        NDArray step = BatchShapes.perSample(levels, q);
        return levels.div(step).floor().mul(step);
    }

    /** {@code ImageOps.solarize}: v below the threshold stays, others become 255 - v. */
    static NDArray solarize(NDArray levels, int[] threshold) {
        NDArray t = BatchShapes.perSample(levels, toFloat(threshold));
        NDArray above = levels.gte(t).toType(levels.getDataType(), false);
        return levels.add(above.mul(levels.mul(-2f).add(255f)));
    }

    /** timm's {@code solarize_add}: v below 128 becomes min(255, v + add), others stay. */
    static NDArray solarizeAdd(NDArray levels, int[] add) {
        NDArray a = BatchShapes.perSample(levels, toFloat(add));
        NDArray below = levels.lt(128f).toType(levels.getDataType(), false);
        return levels.add(below.mul(levels.add(a).clip(0f, 255f).sub(levels)));
    }

    /**
     * {@code Image.blend(degenerate, image, f)}: {@code trunc(clip(d + f (v - d)))} in float32 per
     * image.
     *
     * @param degenerate broadcastable to {@code image}
     */
    static NDArray blend(NDArray degenerate, NDArray image, float[] factor) {
        NDArray f = BatchShapes.perSample(image, factor);
        return degenerate.add(image.sub(degenerate).mul(f)).floor().clip(0f, 255f);
    }

    /**
     * The grey image {@code [n, 1, H, W]} of {@code convert("L")}: {@code (19595 R + 38470 G + 7471
     * B + 32768) >> 16} for RGB (exact in float32: every partial sum is below 2^24), the image
     * itself for L.
     */
    static NDArray grey(NDArray levels) {
        if (levels.getShape().get(1) == 1) {
            return levels;
        }
        NDArray r = levels.get(":, 0:1");
        NDArray g = levels.get(":, 1:2");
        NDArray b = levels.get(":, 2:3");
        return r.mul(19595f).add(g.mul(38470f)).add(b.mul(7471f)).add(32768f).div(65536f).floor();
    }

    /**
     * {@code ImageEnhance.Color}: blend with the grey image (an L image is its own grey:
     * unchanged).
     */
    static NDArray color(NDArray levels, float[] factor) {
        if (levels.getShape().get(1) == 1) {
            return levels;
        }
        return blend(grey(levels), levels, factor);
    }

    /**
     * {@code ImageEnhance.Contrast}: blend with a flat image of {@code int(mean(grey) + 0.5)}; the
     * mean is {@code ImageStat}'s sum / count in double precision.
     */
    static NDArray contrast(NDArray levels, float[] factor) {
        int n = Math.toIntExact(levels.getShape().get(0));
        NDArray sums =
                grey(levels).toType(DataType.FLOAT64, false).reshape(n, -1).sum(new int[] {1});
        double count = levels.getShape().get(2) * (double) levels.getShape().get(3);
        double[] s = sums.toDoubleArray();
        float[] mean = new float[n];
        for (int i = 0; i < n; i++) {
            mean[i] = (int) (s[i] / count + 0.5);
        }
        return blend(BatchShapes.perSample(levels, mean), levels, factor);
    }

    /** {@code ImageEnhance.Brightness}: blend with black. */
    static NDArray brightness(NDArray levels, float[] factor) {
        return blend(levels.zerosLike(), levels, factor);
    }

    /**
     * {@code ImageEnhance.Sharpness}: blend with {@code filter(SMOOTH)}, the 3 x 3 kernel [1 1 1; 1
     * 5 1; 1 1 1] / 13 rounded half up on interior pixels and the border copied. The sum S is an
     * integer, S / 13 is never within 1/26 of a half-integer, so float32 gives Pillow's rounding
     * exactly.
     */
    static NDArray sharpness(NDArray levels, float[] factor) {
        return blend(smooth(levels), levels, factor);
    }

    /**
     * {@code filter(ImageFilter.SMOOTH)} of 8-bit levels; images under 3 x 3 are returned
     * unchanged.
     */
    static NDArray smooth(NDArray levels) {
        Shape s = levels.getShape();
        int h = Math.toIntExact(s.get(2));
        int w = Math.toIntExact(s.get(3));
        if (h < 3 || w < 3) {
            return levels;
        }
        NDArray sum = null;
        for (int dy = 0; dy < 3; dy++) {
            for (int dx = 0; dx < 3; dx++) {
                NDArray part =
                        levels.get(
                                new NDIndex(":, :, {}:{}, {}:{}", dy, dy + h - 2, dx, dx + w - 2));
                sum = sum == null ? part : sum.add(part);
            }
        }
        NDArray centre = levels.get(new NDIndex(":, :, 1:{}, 1:{}", h - 1, w - 1));
        NDArray inner = sum.add(centre.mul(4f)).div(13f).add(0.5f).floor();
        float[] border = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                border[y * w + x] = (y == 0 || x == 0 || y == h - 1 || x == w - 1) ? 1f : 0f;
            }
        }
        NDArray mask =
                levels.getManager()
                        .create(border, new Shape(1, 1, h, w))
                        .toType(levels.getDataType(), false);
        return BatchShapes.pad(inner, 1, 1, 1, 1).add(levels.mul(mask));
    }

    /**
     * {@code ImageOps.autocontrast} (no cutoff): per image and channel, the darkest level maps to 0
     * and the brightest to 255 through {@code int(v * scale + offset)}, scale = 255 / (hi - lo),
     * offset = -lo scale; a flat channel is left alone.
     */
    static NDArray autoContrast(NDArray levels) {
        Shape s = levels.getShape();
        int rows = Math.toIntExact(s.get(0) * s.get(1));
        NDArray flat = levels.reshape(rows, -1);
        float[] lo = flat.min(new int[] {1}).toFloatArray();
        float[] hi = flat.max(new int[] {1}).toFloatArray();
        int[] lut = new int[rows * 256];
        for (int r = 0; r < rows; r++) {
            autoContrastTable((int) lo[r], (int) hi[r], lut, r * 256);
        }
        return lookUp(levels, lut);
    }

    /** Writes autocontrast's table for one channel with levels in [lo, hi]. */
    static void autoContrastTable(int lo, int hi, int[] lut, int at) {
        if (hi <= lo) {
            identity(lut, at);
            return;
        }
        double scale = 255.0 / (hi - lo);
        double offset = -lo * scale;
        for (int ix = 0; ix < 256; ix++) {
            lut[at + ix] = Math.max(0, Math.min(255, (int) (ix * scale + offset)));
        }
    }

    /**
     * {@code ImageOps.equalize}: per image and channel, with h the histogram, step = (sum of h -
     * the last non-zero count) // 255 and the table {@code (step // 2 + h[0] + ... + h[v - 1]) //
     * step}, clipped to 255 as {@code Image.point} clips; fewer than two distinct levels or step 0
     * leave the channel alone.
     *
     * <p>The histograms are counted on the host: DJL 0.25 has no bincount or scatter-add, and a
     * one-hot histogram on the device would take 256 times the images' memory. Only the images
     * drawn for Equalize come here, and the table is applied on the device.
     */
    static NDArray equalize(NDArray levels) {
        Shape s = levels.getShape();
        int rows = Math.toIntExact(s.get(0) * s.get(1));
        int hw = Math.toIntExact(s.get(2) * s.get(3));
        float[] v = levels.toFloatArray();
        int[] lut = new int[rows * 256];
        for (int r = 0; r < rows; r++) {
            int[] h = new int[256];
            for (int p = 0; p < hw; p++) {
                h[(int) v[r * hw + p]]++;
            }
            equalizeTable(h, lut, r * 256);
        }
        return lookUp(levels, lut);
    }

    /** Writes equalize's table for one channel's histogram. */
    static void equalizeTable(int[] h, int[] lut, int at) {
        long total = 0;
        long last = 0;
        int distinct = 0;
        for (int c : h) {
            if (c > 0) {
                distinct++;
                total += c;
                last = c;
            }
        }
        long step = distinct <= 1 ? 0 : (total - last) / 255;
        if (step == 0) {
            identity(lut, at);
            return;
        }
        long n = step / 2;
        for (int i = 0; i < 256; i++) {
            lut[at + i] = (int) Math.min(255, n / step);
            n += h[i];
        }
    }

    /**
     * {@code Image.transform(size, AFFINE, (a0, ..., a5), resample, fillcolor)}: output pixel (x,
     * y) samples the input at {@code (a0 (x + .5) + a1 (y + .5) + a2, a3 (x + .5) + a4 (y + .5) +
     * a5)}; a position outside [0, W) x [0, H) takes the fill colour, others are interpolated from
     * edge-clamped neighbours around the position minus half a pixel (bilinear: {@code a + (b - a)
     * d} along x then y; bicubic: Pillow's a = -1 cubic {@code p1 + d (p2 + d (p3 + d p4))}), then
     * clipped and truncated.
     *
     * @param matrices {@code n * 6} coefficients, image-major
     * @param bicubic bicubic (true) or bilinear resampling for all n images
     * @param fill the fill level per channel
     */
    static NDArray affine(NDArray levels, double[] matrices, boolean bicubic, float[] fill) {
        Shape s = levels.getShape();
        int n = Math.toIntExact(s.get(0));
        int c = Math.toIntExact(s.get(1));
        int h = Math.toIntExact(s.get(2));
        int w = Math.toIntExact(s.get(3));
        int hw = h * w;
        NDManager m = levels.getManager();
        double[] gx = new double[hw];
        double[] gy = new double[hw];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                gx[y * w + x] = x + 0.5;
                gy[y * w + x] = y + 0.5;
            }
        }
        NDArray px = m.create(gx, new Shape(1, hw));
        NDArray py = m.create(gy, new Shape(1, hw));
        NDArray a = m.create(matrices, new Shape(n, 6));
        NDArray xs = coef(a, 0).mul(px).add(coef(a, 1).mul(py)).add(coef(a, 2)); // [n, hw]
        NDArray ys = coef(a, 3).mul(px).add(coef(a, 4).mul(py)).add(coef(a, 5));
        NDArray inside =
                xs.gte(0.0)
                        .logicalAnd(xs.lt((double) w))
                        .logicalAnd(ys.gte(0.0))
                        .logicalAnd(ys.lt((double) h))
                        .toType(DataType.FLOAT64, false)
                        .reshape(n, 1, hw);
        xs = xs.sub(0.5);
        ys = ys.sub(0.5);
        NDArray fx = xs.floor();
        NDArray fy = ys.floor();
        NDArray dx = xs.sub(fx).reshape(n, 1, hw);
        NDArray dy = ys.sub(fy).reshape(n, 1, hw);
        NDArray src = levels.toType(DataType.FLOAT64, false);
        long[] base = new long[n * c];
        for (int i = 0; i < n * c; i++) {
            base[i] = (long) i * hw;
        }
        NDArray offsets = m.create(base, new Shape(n, c, 1));
        // All taps of all output pixels in one gather, tap axes first so that every slice below is
        // contiguous: [column tap, row tap, n, c, hw].
        int taps = bicubic ? 4 : 2;
        double[] steps = new double[taps];
        for (int k = 0; k < taps; k++) {
            steps[k] = (bicubic ? -1 : 0) + k;
        }
        NDArray shift = m.create(steps, new Shape(taps, 1, 1));
        NDArray cols =
                fx.reshape(1, n, hw)
                        .add(shift)
                        .clip(0.0, w - 1.0)
                        .toType(DataType.INT64, false)
                        .reshape(taps, 1, n, 1, hw);
        NDArray rows =
                fy.reshape(1, n, hw)
                        .add(shift)
                        .clip(0.0, h - 1.0)
                        .toType(DataType.INT64, false)
                        .mul((long) w)
                        .reshape(1, taps, n, 1, hw);
        NDArray t = src.take(rows.add(cols).add(offsets.reshape(1, 1, n, c, 1)));
        NDArray rowValues = interpolate(t, dx.reshape(1, n, 1, hw), bicubic); // [row tap, n, c, hw]
        NDArray v = interpolate(rowValues, dy, bicubic);
        v = v.floor().clip(0.0, 255.0);
        double[] f = new double[c];
        for (int k = 0; k < c; k++) {
            f[k] = fill[k];
        }
        NDArray fillLevels = m.create(f, new Shape(1, c, 1));
        NDArray out = v.mul(inside).add(fillLevels.mul(inside.neg().add(1.0)));
        return out.reshape(n, c, h, w).toType(levels.getDataType(), false);
    }

    /** Interpolates along the first axis (the taps) with Pillow's BILINEAR or BICUBIC macro. */
    private static NDArray interpolate(NDArray taps, NDArray d, boolean bicubic) {
        int k = Math.toIntExact(taps.getShape().get(0));
        NDArray[] v = new NDArray[k];
        for (int i = 0; i < k; i++) {
            v[i] = taps.get(i);
        }
        return bicubic ? cubic(v, d) : linear(v[0], v[1], d);
    }

    /** Pillow's BILINEAR macro: a + (b - a) d. */
    private static NDArray linear(NDArray a, NDArray b, NDArray d) {
        return a.add(b.sub(a).mul(d));
    }

    /** Pillow's BICUBIC macro, operation by operation. */
    private static NDArray cubic(NDArray[] v, NDArray d) {
        NDArray p1 = v[1];
        NDArray p2 = v[2].sub(v[0]);
        NDArray p3 = v[0].sub(v[1]).mul(2.0).add(v[2]).sub(v[3]);
        NDArray p4 = v[1].sub(v[0]).sub(v[2]).add(v[3]);
        return p4.mul(d).add(p3).mul(d).add(p2).mul(d).add(p1);
    }

    private static NDArray coef(NDArray a, int k) {
        return a.get(new NDIndex(":, {}:{}", k, k + 1));
    }

    /**
     * The inverse matrix {@code Image.rotate(degrees)} passes to the affine transform (no expand,
     * centre (W / 2, H / 2)): the angle taken modulo 360 as Python does, {@code -radians}, cosine
     * and sine rounded to 15 decimals.
     */
    static double[] rotateMatrix(double degrees, int width, int height) {
        double angle = degrees % 360.0;
        if (angle < 0) {
            angle += 360.0;
        }
        double a = -Math.toRadians(angle);
        double cos = round15(Math.cos(a));
        double sin = round15(Math.sin(a));
        double negSin = round15(-Math.sin(a));
        double cx = width / 2.0;
        double cy = height / 2.0;
        double m2 = cos * -cx + sin * -cy + 0.0;
        double m5 = negSin * -cx + cos * -cy + 0.0;
        return new double[] {cos, sin, m2 + cx, negSin, cos, m5 + cy};
    }

    /**
     * Python's {@code round(v, 15)}: the exact binary value rounded half to even at 15 decimals.
     */
    static double round15(double v) {
        return Double.parseDouble(
                new BigDecimal(v).setScale(15, RoundingMode.HALF_EVEN).toPlainString());
    }

    /**
     * Applies one 256-entry table per (image, channel), {@code lut[(i C + c) 256 + v]}, with one
     * gather.
     */
    static NDArray lookUp(NDArray levels, int[] lut) {
        Shape s = levels.getShape();
        int rows = Math.toIntExact(s.get(0) * s.get(1));
        NDManager m = levels.getManager();
        NDArray base =
                m.arange(0, rows, 1, DataType.INT64).mul(256L).reshape(s.get(0), s.get(1), 1, 1);
        NDArray index = levels.toType(DataType.INT64, false).add(base);
        return m.create(toFloat(lut)).toType(levels.getDataType(), false).take(index);
    }

    private static void identity(int[] lut, int at) {
        for (int i = 0; i < 256; i++) {
            lut[at + i] = i;
        }
    }

    private static float[] toFloat(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }
}
