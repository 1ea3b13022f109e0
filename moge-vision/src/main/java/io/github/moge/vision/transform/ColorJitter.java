package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Random brightness, contrast and saturation changes of images in {@code [0, 1]}, with one factor
 * per image and property drawn uniformly from {@code [max(0, 1 - s), 1 + s]} for strength {@code s}
 * (torchvision's convention), applied in that order and clipped to {@code [0, 1]} after each step:
 *
 * <ul>
 *   <li>brightness: {@code x * f};
 *   <li>contrast: {@code m + f (x - m)}, m the mean grey level of the image;
 *   <li>saturation: {@code g + f (x - g)}, g the grey image (0.299 R + 0.587 G + 0.114 B);
 *       single-channel images have no saturation and are left alone.
 * </ul>
 *
 * <p>DJL 0.25's {@code RandomColorJitter} and {@code RandomBrightness} throw on the PyTorch engine;
 * this class replaces them with batch arithmetic on the images' device. Apply it before
 * normalisation.
 */
public final class ColorJitter implements Reseedable {

    private final float brightness;
    private final float contrast;
    private final float saturation;
    private final Random random;

    /**
     * Creates the transform.
     *
     * @param brightness brightness strength, {@code >= 0} (0 disables)
     * @param contrast contrast strength, {@code >= 0}
     * @param saturation saturation strength, {@code >= 0}
     * @param seed the seed of the factor generator
     */
    public ColorJitter(float brightness, float contrast, float saturation, long seed) {
        if (!(brightness >= 0 && contrast >= 0 && saturation >= 0)) {
            throw new IllegalArgumentException("jitter strengths must be >= 0");
        }
        this.brightness = brightness;
        this.contrast = contrast;
        this.saturation = saturation;
        this.random = new Random(seed);
    }

    /** {@inheritDoc} */
    @Override
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /**
     * Jitters a batch.
     *
     * @param images {@code [B, C, H, W]} in {@code [0, 1]}, C = 1 or 3
     * @return the jittered batch
     */
    public NDArray apply(NDArray images) {
        NDArray x = BatchShapes.asBatch(images, "ColorJitter");
        int b = (int) x.getShape().get(0);
        float[] fb = factors(b, brightness);
        float[] fc = factors(b, contrast);
        float[] fs = factors(b, saturation);
        return BatchShapes.restore(apply(x, fb, fc, fs), images);
    }

    /**
     * Applies given factors (deterministic; all factors 1 return the input).
     *
     * @param images {@code [B, C, H, W]} in {@code [0, 1]}
     * @param brightness per-image brightness factors, or null to skip
     * @param contrast per-image contrast factors, or null to skip
     * @param saturation per-image saturation factors, or null to skip
     * @return the adjusted batch
     */
    public static NDArray apply(
            NDArray images, float[] brightness, float[] contrast, float[] saturation) {
        NDArray x = images;
        if (brightness != null) {
            x = x.mul(BatchShapes.perSample(x, brightness)).clip(0f, 1f);
        }
        if (contrast != null) {
            long b = x.getShape().get(0);
            NDArray mean = grey(x).reshape(b, -1).mean(new int[] {1}).reshape(b, 1, 1, 1);
            x = mean.add(x.sub(mean).mul(BatchShapes.perSample(x, contrast))).clip(0f, 1f);
        }
        if (saturation != null && x.getShape().get(1) == 3) {
            NDArray g = grey(x);
            x = g.add(x.sub(g).mul(BatchShapes.perSample(x, saturation))).clip(0f, 1f);
        }
        return x;
    }

    /** The grey image [B, 1, H, W] of an RGB or single-channel batch. */
    static NDArray grey(NDArray x) {
        if (x.getShape().get(1) == 1) {
            return x;
        }
        NDArray w =
                x.getManager()
                        .create(new float[] {0.299f, 0.587f, 0.114f}, new Shape(1, 3, 1, 1))
                        .toType(x.getDataType(), false);
        return x.mul(w).sum(new int[] {1}, true);
    }

    private float[] factors(int n, float strength) {
        if (strength == 0f) {
            return null;
        }
        float lo = Math.max(0f, 1f - strength);
        float hi = 1f + strength;
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = lo + (hi - lo) * random.nextFloat();
        }
        return f;
    }
}
