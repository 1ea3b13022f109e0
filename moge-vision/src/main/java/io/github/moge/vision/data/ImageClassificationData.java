package io.github.moge.vision.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * An image classification dataset that can build whole batches directly as NDArrays.
 *
 * <p>Every dataset of this package implements it next to DJL's {@link
 * ai.djl.training.dataset.RandomAccessDataset}: the DJL record pipeline creates one small array per
 * example, while {@link #getImages(NDManager, long[])} copies the bytes of a whole batch in one go
 * and converts them to float on the manager's device, which is what a training loop that augments
 * batches on the accelerator wants.
 *
 * <p>Images are float32 in {@code [0, 1]} with layout {@code [channels, height, width]}; labels are
 * float32 class indices, as in DJL's own classification datasets.
 */
public interface ImageClassificationData {

    /**
     * Returns the number of examples (after any limit set on the builder).
     *
     * @return the example count
     */
    long size();

    /**
     * Returns the number of classes.
     *
     * @return the class count
     */
    int getNumClasses();

    /**
     * Returns the class names, indexed by label.
     *
     * @return the names (read-only)
     */
    List<String> getClassNames();

    /**
     * Returns the shape of one image.
     *
     * @return {@code [channels, height, width]}
     */
    Shape getImageShape();

    /**
     * Builds the images at the given indices as one float32 NDArray in {@code [0, 1]}.
     *
     * @param manager the manager (and device) of the result
     * @param indices example indices, each in {@code 0..size()-1}
     * @return the images, {@code [n, channels, height, width]}
     */
    NDArray getImages(NDManager manager, long[] indices);

    /**
     * Builds the labels at the given indices as one float32 NDArray.
     *
     * @param manager the manager (and device) of the result
     * @param indices example indices, each in {@code 0..size()-1}
     * @return the class indices, {@code [n]}
     */
    NDArray getLabels(NDManager manager, long[] indices);

    /**
     * Returns the class index of one example without creating an NDArray.
     *
     * @param index the example index
     * @return the label, {@code 0..getNumClasses()-1}
     */
    int getLabel(long index);
}
