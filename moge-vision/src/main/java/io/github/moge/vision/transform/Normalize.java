package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Transform;

/**
 * Per-channel normalisation {@code (x - mean_c) / std_c} of {@code [B, C, H, W]} or {@code [C, H,
 * W]} images, with the constants created on the images' device.
 */
public final class Normalize implements Transform {

    /** ImageNet channel means (also used by the paper's CIFAR and Tiny-ImageNet recipes). */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

    /** ImageNet channel standard deviations. */
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** CIFAR-100 training-set channel means. */
    public static final float[] CIFAR100_MEAN = {0.5071f, 0.4865f, 0.4409f};

    /** CIFAR-100 training-set channel standard deviations. */
    public static final float[] CIFAR100_STD = {0.2673f, 0.2564f, 0.2762f};

    /** Fashion-MNIST training-set mean. */
    public static final float[] FASHION_MNIST_MEAN = {0.2860f};

    /** Fashion-MNIST training-set standard deviation. */
    public static final float[] FASHION_MNIST_STD = {0.3530f};

    private final float[] mean;
    private final float[] std;

    /**
     * Creates the transform.
     *
     * @param mean one mean per channel
     * @param std one positive standard deviation per channel
     */
    public Normalize(float[] mean, float[] std) {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("need as many means as standard deviations");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("standard deviations must be positive");
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray transform(NDArray array) {
        NDArray x = BatchShapes.asBatch(array, "Normalize");
        int c = (int) x.getShape().get(1);
        if (c != mean.length) {
            throw new IllegalArgumentException(
                    "Normalize has "
                            + mean.length
                            + " channel constants but the images have "
                            + c
                            + " channels");
        }
        Shape s = new Shape(1, c, 1, 1);
        NDArray m = x.getManager().create(mean, s).toType(x.getDataType(), false);
        NDArray d = x.getManager().create(std, s).toType(x.getDataType(), false);
        return BatchShapes.restore(x.sub(m).div(d), array);
    }
}
