package io.github.moge.examples.invariance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.moge.vision.data.FashionMnistDataset;

/**
 * How images in [0, 1] are shifted before they reach the router. Transforms of the invariance test
 * act on the raw images (zero = black background), and the normalisation follows them.
 *
 * <p>Why it matters here: with raw, all-positive pixels the routing logits of all images share one
 * dominant direction, so at initialisation a few experts receive most tokens, and a dropless layer
 * pads every expert to that largest count (measured: up to 157 of 200 tokens on one expert, about 5
 * s per step on a 2-core CPU). Subtracting the training set's mean image removes that shared
 * direction (max load about 17 of 200 at initialisation).
 */
public enum InputNormalization {

    /** Raw pixels in [0, 1]. */
    NONE,

    /**
     * (x - 0.2860) / 0.3530, the Fashion-MNIST training mean and standard deviation of all pixels.
     */
    GLOBAL,

    /** x minus the per-pixel mean image of the training images used (the default). */
    PIXEL;

    /** Mean pixel value of the Fashion-MNIST training set. */
    public static final float GLOBAL_MEAN = 0.2860f;

    /** Standard deviation of all pixel values of the Fashion-MNIST training set. */
    public static final float GLOBAL_STD = 0.3530f;

    /**
     * Computes the per-pixel mean image of a dataset in chunks.
     *
     * @param dataset the (flattened) training images
     * @return the mean image, 784 values
     */
    public static float[] meanImage(FashionMnistDataset dataset) {
        int n = Math.toIntExact(dataset.size());
        double[] sum = new double[FashionMnistDataset.IMAGE_SIZE * FashionMnistDataset.IMAGE_SIZE];
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int from = 0; from < n; from += 5000) {
                int to = Math.min(n, from + 5000);
                long[] idx = new long[to - from];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = from + i;
                }
                try (NDManager sub = manager.newSubManager()) {
                    float[] part = dataset.getImages(sub, idx).sum(new int[] {0}).toFloatArray();
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += part[i];
                    }
                }
            }
        }
        float[] mean = new float[sum.length];
        for (int i = 0; i < sum.length; i++) {
            mean[i] = (float) (sum[i] / Math.max(1, n));
        }
        return mean;
    }

    /**
     * Applies the normalisation to a batch of flattened images.
     *
     * @param images [B, 784] in [0, 1]
     * @param meanImage the per-pixel mean (used by {@link #PIXEL} only)
     * @return the normalised images, on the images' manager
     */
    public NDArray apply(NDArray images, float[] meanImage) {
        switch (this) {
            case GLOBAL:
                return images.sub(GLOBAL_MEAN).div(GLOBAL_STD);
            case PIXEL:
                NDArray mean =
                        images.getManager()
                                .create(meanImage, new Shape(1, meanImage.length))
                                .toDevice(images.getDevice(), false);
                return images.sub(mean);
            default:
                return images;
        }
    }
}
