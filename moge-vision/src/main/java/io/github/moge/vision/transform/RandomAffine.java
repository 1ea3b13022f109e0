package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Random affine warps with torchvision's {@code RandomAffine} semantics, one draw per image: the
 * angle from U(-degrees, degrees), the horizontal and vertical shifts from U(-a W, a W) and U(-b H,
 * b H) rounded to whole pixels, the x shear from U(-shear, shear) (no y shear), the scale a fixed
 * factor, nearest interpolation and fill 0 by default. The draws for image i come from the seed and
 * i alone (in the order angle, shifts, shear), so a run is reproducible and independent of the
 * batch size.
 */
public final class RandomAffine implements FlatImageWarp {

    private final float degrees;
    private final float translateX;
    private final float translateY;
    private final float scale;
    private final float shear;
    private final AffineTransform.Interpolation interpolation;
    private final long seed;

    private RandomAffine(Builder b) {
        this.degrees = b.degrees;
        this.translateX = b.translateX;
        this.translateY = b.translateY;
        this.scale = b.scale;
        this.shear = b.shear;
        this.interpolation = b.interpolation;
        this.seed = b.seed;
    }

    /**
     * Creates a builder; with no options every draw is the identity.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the warp drawn for one image.
     *
     * @param image the image's index in the data set
     * @param height the image height
     * @param width the image width
     * @return the fixed transform of that image
     */
    public AffineTransform sample(long image, int height, int width) {
        SplittableRandom random = new SplittableRandom(seed ^ (image * 0x9E3779B97F4A7C15L));
        float angle = symmetric(random, degrees);
        long dx = Math.round(symmetric(random, translateX * (double) width));
        long dy = Math.round(symmetric(random, translateY * (double) height));
        float shearX = symmetric(random, shear);
        return AffineTransform.builder()
                .optRotation(angle)
                .optTranslate((float) dx / width, (float) dy / height)
                .optRoundTranslation(true)
                .optScale(scale)
                .optShear(shearX)
                .optInterpolation(interpolation)
                .build();
    }

    private static float symmetric(SplittableRandom random, double max) {
        return max == 0 ? 0f : (float) (-max + 2 * max * random.nextDouble());
    }

    /**
     * Warps each image of a batch [B, height * width] with its own draw.
     *
     * @param images floating-point images [B, height * width]
     * @param height the image height
     * @param width the image width
     * @param firstImage the data-set index of the first image
     * @return the warped images, same shape, type and device
     */
    @Override
    public NDArray warpFlattened(NDArray images, int height, int width, long firstImage) {
        Shape shape = images.getShape();
        int hw = height * width;
        if (shape.dimension() != 2 || shape.get(1) != hw || !images.getDataType().isFloating()) {
            throw new IllegalArgumentException(
                    "RandomAffine warps floating-point images [B, "
                            + height
                            + " * "
                            + width
                            + "], got "
                            + shape
                            + " "
                            + images.getDataType());
        }
        int batch = Math.toIntExact(shape.get(0));
        long[] index = new long[4 * batch * hw];
        float[] weight = new float[4 * batch * hw];
        for (int b = 0; b < batch; b++) {
            AffineTransform.Plan plan = sample(firstImage + b, height, width).plan(height, width);
            for (int k = 0; k < 4; k++) {
                for (int o = 0; o < hw; o++) {
                    int at = (k * batch + b) * hw + o;
                    index[at] = (long) b * hw + plan.index[k * hw + o];
                    weight[at] = plan.weight[k * hw + o];
                }
            }
        }
        NDManager parent = images.getManager();
        try (NDManager scope = parent.newSubManager(images.getDevice())) {
            images.tempAttach(scope);
            NDArray flat = images.reshape(-1, 1); // [B HW, 1]
            NDArray gathered =
                    flat.get(new NDIndex("{}", scope.create(index))).reshape(4, batch * hw);
            NDArray w =
                    scope.create(weight, new Shape(4, batch * hw))
                            .toType(images.getDataType(), false);
            NDArray result = gathered.mul(w).sum(new int[] {0}).reshape(shape);
            result.attach(parent);
            return result;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "RandomAffine(degrees=%s, translate=(%s, %s), scale=%s, shear=%s, %s, seed=%d)",
                degrees,
                translateX,
                translateY,
                scale,
                shear,
                interpolation.name().toLowerCase(Locale.ROOT),
                seed);
    }

    /** Builds a {@link RandomAffine}; every range defaults to 0 and the scale to 1. */
    public static final class Builder {

        float degrees;
        float translateX;
        float translateY;
        float scale = 1f;
        float shear;
        AffineTransform.Interpolation interpolation = AffineTransform.Interpolation.NEAREST;
        long seed;

        Builder() {}

        /**
         * Sets the angle range: U(-degrees, degrees).
         *
         * @param degrees at least 0
         * @return this builder
         */
        public Builder optDegrees(float degrees) {
            this.degrees = range(degrees, "degrees", Float.MAX_VALUE);
            return this;
        }

        /**
         * Sets the shift ranges as fractions of the width and height: U(-a W, a W), U(-b H, b H).
         *
         * @param a horizontal fraction in [0, 1]
         * @param b vertical fraction in [0, 1]
         * @return this builder
         */
        public Builder optTranslate(float a, float b) {
            this.translateX = range(a, "translate a", 1f);
            this.translateY = range(b, "translate b", 1f);
            return this;
        }

        /**
         * Sets the fixed scale factor (torchvision {@code scale=(s, s)}).
         *
         * @param scale positive
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
         * Sets the x-shear range: U(-shear, shear) degrees.
         *
         * @param shear in [0, 90)
         * @return this builder
         */
        public Builder optShear(float shear) {
            if (!(shear >= 0 && shear < 90)) {
                throw new IllegalArgumentException(
                        "shear must be in [0, 90) degrees, got " + shear);
            }
            this.shear = shear;
            return this;
        }

        /**
         * Sets the interpolation (default nearest, torchvision's).
         *
         * @param interpolation nearest or bilinear
         * @return this builder
         */
        public Builder optInterpolation(AffineTransform.Interpolation interpolation) {
            if (interpolation == null) {
                throw new IllegalArgumentException("interpolation must not be null");
            }
            this.interpolation = interpolation;
            return this;
        }

        /**
         * Sets the seed of the draws (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the warp.
         *
         * @return the warp
         */
        public RandomAffine build() {
            return new RandomAffine(this);
        }

        private static float range(float v, String what, float max) {
            if (!(v >= 0 && v <= max)) {
                throw new IllegalArgumentException(what + " must be in [0, " + max + "], got " + v);
            }
            return v;
        }
    }
}
