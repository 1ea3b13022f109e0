package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;

/**
 * A geometric warp of flattened images that may depend on each image's position in a data set: a
 * fixed {@link AffineTransform} ignores it, a {@link RandomAffine} draws the parameters of image i
 * from its seed and i, so every image gets the same warp however the data set is cut into batches.
 */
public interface FlatImageWarp {

    /**
     * Warps a batch of flattened images.
     *
     * @param images floating-point images [B, height * width]
     * @param height the image height
     * @param width the image width
     * @param firstImage the data-set index of the batch's first image
     * @return the warped images, same shape, type and device
     */
    NDArray warpFlattened(NDArray images, int height, int width, long firstImage);
}
