package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.translate.Transform;

/**
 * Zero-pads images to a square side, centred (the extra pixel, for an odd difference, goes to the
 * bottom and right). Fashion-MNIST's 28 x 28 images become 32 x 32 for the ViT/Swin presets, whose
 * patch and window sizes need a multiple of 4 or 8.
 *
 * <p>Works on {@code [B, C, H, W]} batches and single {@code [C, H, W]} images on any device; as a
 * DJL {@link Transform} it can also sit in a dataset's pipeline.
 */
public final class PadToSize implements Transform {

    private final int size;

    /**
     * Creates the transform.
     *
     * @param size the output side in pixels
     */
    public PadToSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        this.size = size;
    }

    /**
     * Returns the output side.
     *
     * @return the side in pixels
     */
    public int getSize() {
        return size;
    }

    /**
     * Pads the images.
     *
     * @param array {@code [B, C, H, W]} or {@code [C, H, W]} with H, W at most the size
     * @return the padded images
     * @throws IllegalArgumentException if an image is larger than the size
     */
    @Override
    public NDArray transform(NDArray array) {
        NDArray x = BatchShapes.asBatch(array, "PadToSize");
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h > size || w > size) {
            throw new IllegalArgumentException(
                    "PadToSize("
                            + size
                            + "): image is "
                            + h
                            + " x "
                            + w
                            + ", larger than the target");
        }
        int dh = (int) (size - h);
        int dw = (int) (size - w);
        return BatchShapes.restore(
                BatchShapes.pad(x, dh / 2, dh - dh / 2, dw / 2, dw - dw / 2), array);
    }
}
