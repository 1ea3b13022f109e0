package io.github.moge.examples.invariance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.moge.core.metrics.Imed;
import io.github.moge.vision.transform.InvarianceTransforms;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Accumulates the mean IMED distance d between the routing maps of original and transformed images
 * over batches, one mean per transform (the quantity of the paper's Table 1).
 *
 * <p>d = sqrt(max(d^2, 0)) per image, d^2 from {@link Imed#squaredDistance(NDArray, NDArray)}; all
 * work is batched on the device. Each image's d is kept too ({@link #perImage(int)}), for a
 * bootstrap over test images when runs are compared.
 */
public final class RoutingInvariance {

    private final Imed imed;
    private final List<InvarianceTransforms.Entry> transforms;
    private final int height;
    private final int width;
    private final double[] sums;
    private final List<List<float[]>> perImage = new ArrayList<>();
    private long count;

    /**
     * Creates an accumulator.
     *
     * @param imed the distance on the routing map (rows x cols = E)
     * @param transforms the transforms to compare against, e.g. {@link
     *     InvarianceTransforms#paper(long)}
     * @param height image height
     * @param width image width
     */
    public RoutingInvariance(
            Imed imed, List<InvarianceTransforms.Entry> transforms, int height, int width) {
        this.imed = imed;
        this.transforms = List.copyOf(transforms);
        this.height = height;
        this.width = width;
        this.sums = new double[transforms.size()];
        for (int t = 0; t < transforms.size(); t++) {
            perImage.add(new ArrayList<>());
        }
    }

    /**
     * Returns the IMED distance d of each pair of maps: sqrt of the squared distance,
     * rounding-level negatives taken as 0.
     *
     * @param imed the distance
     * @param a maps [B, E]
     * @param b maps [B, E]
     * @return d, shape [B]
     */
    public static NDArray distances(Imed imed, NDArray a, NDArray b) {
        return imed.squaredDistance(a, b).maximum(0f).sqrt();
    }

    /**
     * Adds one batch of images.
     *
     * @param images flattened images [B, height * width], the next of the data set (their index
     *     starts at the number of images added so far, which seeds per-image random transforms)
     * @param originalMaps the routing maps of {@code images}, [B, E]
     * @param mapsOf computes routing maps [B, E] of a batch of images
     */
    public void update(NDArray images, NDArray originalMaps, Function<NDArray, NDArray> mapsOf) {
        long batch = images.getShape().get(0);
        for (int t = 0; t < transforms.size(); t++) {
            try (NDManager scope = images.getManager().newSubManager()) {
                NDArray moved =
                        transforms.get(t).getWarp().warpFlattened(images, height, width, count);
                moved.attach(scope);
                NDArray maps = mapsOf.apply(moved);
                maps.attach(scope);
                NDArray d = distances(imed, originalMaps, maps);
                d.attach(scope);
                sums[t] += d.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).sum().getDouble();
                perImage.get(t).add(d.toFloatArray());
            }
        }
        count += batch;
    }

    /**
     * Returns the mean d per transform.
     *
     * @return one mean per transform, in the order given; NaN before any update
     */
    public double[] means() {
        double[] out = new double[sums.length];
        for (int i = 0; i < sums.length; i++) {
            out[i] = count == 0 ? Double.NaN : sums[i] / count;
        }
        return out;
    }

    /**
     * Returns the distance d of every image accumulated so far under one transform.
     *
     * @param transform the transform's index, in the order given
     * @return one d per image, in the order the images were added
     */
    public double[] perImage(int transform) {
        double[] out = new double[Math.toIntExact(count)];
        int i = 0;
        for (float[] chunk : perImage.get(transform)) {
            for (float v : chunk) {
                out[i++] = v;
            }
        }
        return out;
    }

    /**
     * Returns the number of images accumulated.
     *
     * @return the count
     */
    public long count() {
        return count;
    }
}
