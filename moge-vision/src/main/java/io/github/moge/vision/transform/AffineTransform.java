package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Transform;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fixed affine warp of images with bilinear (default) or nearest interpolation and zero fill,
 * matching torchvision's {@code transforms.functional.affine(img, angle, translate, scale, shear,
 * interpolation)} on tensors.
 *
 * <h2>Convention (torchvision, tensor path)</h2>
 *
 * Pixel {@code (x, y)} is column {@code x}, row {@code y}, with {@code y} pointing down; the centre
 * is {@code c = ((W - 1) / 2, (H - 1) / 2)} in these pixel-index coordinates (the same point as
 * {@code (W / 2, H / 2)} when pixel centres sit at half-integers, which is what torchvision's PIL
 * path uses). The forward map of a point {@code p} is
 *
 * <pre>
 *   q = c + t + s * R(a) * SHy(sy) * SHx(sx) * (p - c)
 *   R(a)    = [cos a, -sin a; sin a, cos a]
 *   SHx(sx) = [1, -tan sx; 0, 1]       SHy(sy) = [1, 0; -tan sy, 1]
 * </pre>
 *
 * and every output pixel {@code q} samples the input at the inverse image {@code p = c + (1/s) (R
 * SHy SHx)^-1 (q - c - t)}, bilinearly from its four neighbours; neighbours outside the image count
 * as zero (torch {@code grid_sample(padding_mode="zeros", align_corners=False)}, which is what
 * torchvision uses when {@code fill} is None).
 *
 * <ul>
 *   <li><b>Rotation</b> {@code a} (degrees): with the y axis pointing down, a positive angle turns
 *       the content <b>clockwise</b> on screen, as torchvision documents for {@code F.affine}.
 *       (torchvision's {@code F.rotate} and {@code RandomRotation} negate the angle and turn
 *       counter-clockwise; {@code RandomAffine} calls {@code F.affine} and so turns clockwise.)
 *       Multiples of 90 degrees use exact sines and cosines, so a 90-degree turn of a square image
 *       is an exact transpose plus flip.
 *   <li><b>Translation</b> {@code t = (tx, ty)} in pixels, applied after rotation, scale and shear;
 *       positive {@code tx} moves content right, positive {@code ty} down. {@link
 *       Builder#optTranslate(float, float)} takes fractions of the width and height, like
 *       torchvision's {@code RandomAffine(translate=(a, b))}: {@code tx = a * W}, {@code ty = b *
 *       H}. torchvision's {@code RandomAffine} rounds the sampled shift to whole pixels; {@link
 *       Builder#optRoundTranslation(boolean)} does the same, the default keeps the exact value
 *       (what {@code F.affine} does with a float translation on tensors).
 *   <li><b>Scale</b> {@code s}: values below 1 shrink the content towards the centre.
 *   <li><b>Shear</b> {@code (sx, sy)} (degrees): {@link Builder#optShear(float)} sets {@code sx}
 *       only (a shear parallel to the x axis, torchvision's single-number form), so that with
 *       nothing else a point moves by {@code dx = -tan(sx) * (y - cy)}.
 * </ul>
 *
 * <h2>Implementation</h2>
 *
 * The sampling plan (four source indices and four bilinear weights per output pixel) depends only
 * on the parameters and the image size. It is computed once per {@code H x W} in double precision
 * and cached; each call then uploads it to the input's device and applies it to all images and
 * channels at once with NDArray ops (one row gather on the flattened pixels, a multiply and a sum).
 * The result has the input's shape, data type and device.
 *
 * <p>Its length is the affine maths, the resampling plan for each interpolation and its {@link
 * Builder}.
 */
public final class AffineTransform implements Transform, FlatImageWarp {

    /** How an output pixel samples the input at its (generally fractional) source position. */
    public enum Interpolation {
        /** Bilinear from the four neighbours (the default). */
        BILINEAR,
        /**
         * The nearest pixel, the source position rounded half to even as torch's {@code
         * grid_sample(mode= "nearest")}; torchvision's {@code RandomAffine} default.
         */
        NEAREST
    }

    /**
     * Source coordinates within this distance (pixels) of an integer are snapped to it, so that
     * whole-pixel shifts given as float fractions (0.2f * 5 = 1.0000000149) sample exactly.
     */
    private static final double SNAP = 1e-6;

    private final float angle;
    private final float translateX;
    private final float translateY;
    private final boolean roundTranslation;
    private final float scale;
    private final float shearX;
    private final float shearY;
    private final Interpolation interpolation;
    private final Map<Long, Plan> plans = new ConcurrentHashMap<>();

    private AffineTransform(Builder b) {
        this.angle = b.angle;
        this.translateX = b.translateX;
        this.translateY = b.translateY;
        this.roundTranslation = b.roundTranslation;
        this.scale = b.scale;
        this.shearX = b.shearX;
        this.shearY = b.shearY;
        this.interpolation = b.interpolation;
    }

    /**
     * Creates a builder; with no options the transform is the identity.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Warps one image or a batch: the last two axes are {@code H, W}, any leading axes (channels,
     * batch) are warped alike. Accepts {@code [H, W]}, {@code [C, H, W]} and {@code [B, C, H, W]}.
     *
     * @param array a floating-point image array with at least 2 axes
     * @return the warped array, same shape, type and device
     * @throws IllegalArgumentException for fewer than 2 axes (use {@link
     *     #transformFlattened(NDArray, int, int)} for flat images) or a non-floating type
     */
    @Override
    public NDArray transform(NDArray array) {
        Shape shape = array.getShape();
        if (shape.dimension() < 2) {
            throw new IllegalArgumentException(
                    "AffineTransform needs an image [..., H, W], got shape "
                            + shape
                            + "; for flattened images call transformFlattened(array, height,"
                            + " width)");
        }
        int h = Math.toIntExact(shape.get(shape.dimension() - 2));
        int w = Math.toIntExact(shape.get(shape.dimension() - 1));
        return apply(array, h, w);
    }

    /**
     * Warps a batch {@code [B, C, H, W]}; the same as {@link #transform(NDArray)}, named for
     * readability at call sites.
     *
     * @param batch the images
     * @return the warped images, same shape, type and device
     */
    public NDArray transformBatch(NDArray batch) {
        return transform(batch);
    }

    /**
     * Warps images whose pixels are flattened into the last axis, e.g. {@code [B, H * W]} or {@code
     * [H * W]}.
     *
     * @param images floating-point images with last axis of length {@code height * width}
     * @param height the image height
     * @param width the image width
     * @return the warped images, same shape, type and device
     * @throws IllegalArgumentException if the last axis is not {@code height * width}
     */
    public NDArray transformFlattened(NDArray images, int height, int width) {
        Shape shape = images.getShape();
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "height and width must be positive, got " + height + " x " + width);
        }
        if (shape.dimension() < 1 || shape.get(shape.dimension() - 1) != (long) height * width) {
            throw new IllegalArgumentException(
                    "transformFlattened: last axis of shape "
                            + shape
                            + " is not "
                            + height
                            + " * "
                            + width
                            + " = "
                            + (long) height * width);
        }
        return apply(images, height, width);
    }

    /**
     * Warps flattened images alike, whatever their index: the same as {@link #transformFlattened}.
     *
     * @param images floating-point images [..., height * width]
     * @param height the image height
     * @param width the image width
     * @param firstImage ignored (a fixed warp)
     * @return the warped images
     */
    @Override
    public NDArray warpFlattened(NDArray images, int height, int width, long firstImage) {
        return transformFlattened(images, height, width);
    }

    /**
     * Returns the inverse matrix that maps an output pixel {@code (x, y, 1)} (pixel-index
     * coordinates) to the input position it samples: {@code [m00, m01, m02, m10, m11, m12]}.
     *
     * @param height the image height
     * @param width the image width
     * @return the 2 x 3 inverse affine matrix, row-major
     */
    public double[] inverseMatrix(int height, int width) {
        double sx = Math.toRadians(shearX);
        double sy = Math.toRadians(shearY);
        double cosRs = cosDeg(angle - shearY);
        double sinRs = sinDeg(angle - shearY);
        double cosSy = Math.cos(sy);
        double tanSx = Math.tan(sx);
        // Forward R * SHy * SHx (without scale), as torchvision composes it.
        double a = cosRs / cosSy;
        double b = -cosRs * tanSx / cosSy - sinDeg(angle);
        double c = sinRs / cosSy;
        double d = -sinRs * tanSx / cosSy + cosDeg(angle);
        // Its determinant is 1, so the inverse is [d, -b; -c, a], then divided by the scale.
        double m00 = d / scale;
        double m01 = -b / scale;
        double m10 = -c / scale;
        double m11 = a / scale;
        double cx = (width - 1) / 2.0;
        double cy = (height - 1) / 2.0;
        // Float.toString gives the shortest decimal of the float: 0.1f becomes 0.1, not
        // 0.10000000149.
        double tx = Double.parseDouble(Float.toString(translateX)) * width;
        double ty = Double.parseDouble(Float.toString(translateY)) * height;
        if (roundTranslation) {
            tx = Math.round(tx);
            ty = Math.round(ty);
        }
        // p = c + M (q - c - t)
        double m02 = cx - m00 * (cx + tx) - m01 * (cy + ty);
        double m12 = cy - m10 * (cx + tx) - m11 * (cy + ty);
        return new double[] {m00, m01, m02, m10, m11, m12};
    }

    /**
     * Returns the rotation angle.
     *
     * @return degrees, positive = clockwise on screen
     */
    public float getRotation() {
        return angle;
    }

    /**
     * Returns the horizontal translation.
     *
     * @return fraction of the image width
     */
    public float getTranslateX() {
        return translateX;
    }

    /**
     * Returns the vertical translation.
     *
     * @return fraction of the image height
     */
    public float getTranslateY() {
        return translateY;
    }

    /**
     * Returns the scale factor.
     *
     * @return the scale
     */
    public float getScale() {
        return scale;
    }

    /**
     * Returns the shear parallel to the x axis.
     *
     * @return degrees
     */
    public float getShearX() {
        return shearX;
    }

    /**
     * Returns the shear parallel to the y axis.
     *
     * @return degrees
     */
    public float getShearY() {
        return shearY;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "AffineTransform(rotation=%s, translate=(%s, %s)%s, scale=%s, shear=(%s, %s)%s)",
                angle,
                translateX,
                translateY,
                roundTranslation ? " rounded" : "",
                scale,
                shearX,
                shearY,
                interpolation == Interpolation.NEAREST ? ", nearest" : "");
    }

    private NDArray apply(NDArray array, int h, int w) {
        if (!array.getDataType().isFloating()) {
            throw new IllegalArgumentException(
                    "AffineTransform needs a floating-point image, got "
                            + array.getDataType()
                            + "; convert first, e.g. array.toType(DataType.FLOAT32, false)");
        }
        Plan plan = plan(h, w);
        Shape shape = array.getShape();
        int hw = h * w;
        long rows = shape.size() / hw;
        NDManager parent = array.getManager();
        try (NDManager scope = parent.newSubManager(array.getDevice())) {
            array.tempAttach(scope);
            NDArray index = scope.create(plan.index);
            NDArray weight =
                    scope.create(plan.weight, new Shape(4, hw, 1))
                            .toType(array.getDataType(), false);
            NDArray columns = array.reshape(rows, hw).transpose(); // [HW, rows]
            NDArray gathered = columns.get(new NDIndex("{}", index)).reshape(4, hw, rows);
            NDArray result = gathered.mul(weight).sum(new int[] {0}).transpose().reshape(shape);
            result.attach(parent);
            return result;
        }
    }

    private static double cosDeg(double deg) {
        double r = exactQuarter(deg, true);
        return Double.isNaN(r) ? Math.cos(Math.toRadians(deg)) : r;
    }

    private static double sinDeg(double deg) {
        double r = exactQuarter(deg, false);
        return Double.isNaN(r) ? Math.sin(Math.toRadians(deg)) : r;
    }

    /** Exact cos/sin for multiples of 90 degrees, NaN otherwise. */
    private static double exactQuarter(double deg, boolean cos) {
        if (deg % 90 != 0) {
            return Double.NaN;
        }
        int q = (int) Math.floorMod((long) (deg / 90), 4L);
        int[] cosines = {1, 0, -1, 0};
        int[] sines = {0, 1, 0, -1};
        return cos ? cosines[q] : sines[q];
    }

    /**
     * Returns the sampling plan for an image size (computed once per size).
     *
     * @param h the height
     * @param w the width
     * @return four source pixel indices [4 * H * W] and weights, neighbour-major
     */
    Plan plan(int h, int w) {
        return plans.computeIfAbsent(((long) h << 32) | w, k -> new Plan(h, w));
    }

    /**
     * Four source indices and weights per output pixel, neighbour-major (nearest: one of weight 1).
     */
    final class Plan {

        final long[] index;
        final float[] weight;

        Plan(int h, int w) {
            int hw = h * w;
            index = new long[4 * hw];
            weight = new float[4 * hw];
            double[] m = inverseMatrix(h, w);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double sx = snap(m[0] * x + m[1] * y + m[2]);
                    double sy = snap(m[3] * x + m[4] * y + m[5]);
                    if (interpolation == Interpolation.NEAREST) {
                        set(y * w + x, 0, hw, Math.rint(sx), Math.rint(sy), 1, h, w);
                        continue;
                    }
                    double x0 = Math.floor(sx);
                    double y0 = Math.floor(sy);
                    double fx = sx - x0;
                    double fy = sy - y0;
                    int o = y * w + x;
                    set(o, 0, hw, x0, y0, (1 - fx) * (1 - fy), h, w);
                    set(o, 1, hw, x0 + 1, y0, fx * (1 - fy), h, w);
                    set(o, 2, hw, x0, y0 + 1, (1 - fx) * fy, h, w);
                    set(o, 3, hw, x0 + 1, y0 + 1, fx * fy, h, w);
                }
            }
        }

        private void set(int o, int k, int hw, double x, double y, double wgt, int h, int w) {
            boolean inside = x >= 0 && x < w && y >= 0 && y < h;
            index[k * hw + o] = inside ? (long) y * w + (long) x : 0;
            weight[k * hw + o] = inside ? (float) wgt : 0f;
        }

        private double snap(double v) {
            double r = Math.rint(v);
            return Math.abs(v - r) < SNAP ? r : v;
        }
    }

    /** Builds an {@link AffineTransform}; every option defaults to the identity. */
    public static final class Builder {

        float angle;
        float translateX;
        float translateY;
        boolean roundTranslation;
        float scale = 1f;
        float shearX;
        float shearY;
        Interpolation interpolation = Interpolation.BILINEAR;

        Builder() {}

        /**
         * Sets the interpolation (default bilinear).
         *
         * @param interpolation bilinear or nearest
         * @return this builder
         */
        public Builder optInterpolation(Interpolation interpolation) {
            if (interpolation == null) {
                throw new IllegalArgumentException("interpolation must not be null");
            }
            this.interpolation = interpolation;
            return this;
        }

        /**
         * Sets the rotation about the image centre.
         *
         * @param degrees the angle; positive turns the content clockwise on screen (torchvision
         *     {@code F.affine} convention)
         * @return this builder
         */
        public Builder optRotation(float degrees) {
            this.angle = finite(degrees, "rotation");
            return this;
        }

        /**
         * Sets the translation as fractions of the image size, as in torchvision's {@code
         * translate=(a, b)}: {@code fracX} horizontal (of the width, positive = right), {@code
         * fracY} vertical (of the height, positive = down).
         *
         * @param fracX horizontal shift / width
         * @param fracY vertical shift / height
         * @return this builder
         */
        public Builder optTranslate(float fracX, float fracY) {
            this.translateX = finite(fracX, "translate x");
            this.translateY = finite(fracY, "translate y");
            return this;
        }

        /**
         * Sets whether the translation in pixels is rounded to whole pixels, as torchvision's
         * {@code RandomAffine} does (default false: the exact fractional shift, as {@code F.affine}
         * applies it to tensors).
         *
         * @param round true to round
         * @return this builder
         */
        public Builder optRoundTranslation(boolean round) {
            this.roundTranslation = round;
            return this;
        }

        /**
         * Sets the scale about the image centre.
         *
         * @param scale the factor, positive; below 1 shrinks the content
         * @return this builder
         */
        public Builder optScale(float scale) {
            if (!(scale > 0) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException(
                        "scale must be positive and finite, got " + scale);
            }
            this.scale = scale;
            return this;
        }

        /**
         * Sets a shear parallel to the x axis (torchvision's single-number {@code shear}).
         *
         * @param degrees the shear angle, strictly between -90 and 90
         * @return this builder
         */
        public Builder optShear(float degrees) {
            return optShear(degrees, 0f);
        }

        /**
         * Sets shears parallel to the x and the y axis (torchvision's {@code shear=[sx, sy]}).
         *
         * @param degreesX shear parallel to the x axis, strictly between -90 and 90
         * @param degreesY shear parallel to the y axis, strictly between -90 and 90
         * @return this builder
         */
        public Builder optShear(float degreesX, float degreesY) {
            if (!(Math.abs(degreesX) < 90) || !(Math.abs(degreesY) < 90)) {
                throw new IllegalArgumentException(
                        "shear angles must be strictly between -90 and 90 degrees, got ("
                                + degreesX
                                + ", "
                                + degreesY
                                + ")");
            }
            this.shearX = degreesX;
            this.shearY = degreesY;
            return this;
        }

        /**
         * Builds the transform.
         *
         * @return the transform
         */
        public AffineTransform build() {
            return new AffineTransform(this);
        }

        private static float finite(float v, String what) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(what + " must be finite, got " + v);
            }
            return v;
        }
    }
}
