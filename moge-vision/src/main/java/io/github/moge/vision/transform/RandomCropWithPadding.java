package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Random crop with zero padding, as in CIFAR training recipes ({@code RandomCrop(32, padding=4)}):
 * each image is padded by {@code p} pixels on every side and an {@code H x W} window is cut at an
 * offset drawn uniformly from {@code 0..2p} on each axis, independently per image.
 *
 * <p>The whole batch is cropped with two gathers on its own device; only the per-image offsets come
 * from the host generator, so a seed gives the same crops on CPU and GPU.
 */
public final class RandomCropWithPadding implements Reseedable {

    private final int padding;
    private final Random random;

    /**
     * Creates the transform.
     *
     * @param padding pixels added on each side, {@code >= 0}
     * @param seed the seed of the offset generator
     */
    public RandomCropWithPadding(int padding, long seed) {
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        }
        this.padding = padding;
        this.random = new Random(seed);
    }

    /** {@inheritDoc} */
    @Override
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /**
     * Crops a batch at random offsets.
     *
     * @param images {@code [B, C, H, W]}
     * @return the cropped batch, same shape
     */
    public NDArray apply(NDArray images) {
        int b = (int) BatchShapes.asBatch(images, "RandomCropWithPadding").getShape().get(0);
        int[] dy = new int[b];
        int[] dx = new int[b];
        for (int i = 0; i < b; i++) {
            dy[i] = random.nextInt(2 * padding + 1);
            dx[i] = random.nextInt(2 * padding + 1);
        }
        return crop(images, padding, dy, dx);
    }

    /**
     * Pads by {@code padding} and crops each image at the given offsets (deterministic; offsets
     * {@code (padding, padding)} return the input).
     *
     * @param images {@code [B, C, H, W]}
     * @param padding pixels added on each side
     * @param dy per-image row offsets into the padded image, {@code 0..2 * padding}
     * @param dx per-image column offsets, {@code 0..2 * padding}
     * @return the cropped batch, same shape as the input
     */
    public static NDArray crop(NDArray images, int padding, int[] dy, int[] dx) {
        NDArray x = BatchShapes.asBatch(images, "RandomCropWithPadding");
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        if (dy.length != b || dx.length != b) {
            throw new IllegalArgumentException("need one offset per image: " + b);
        }
        for (int i = 0; i < b; i++) {
            if (dy[i] < 0 || dy[i] > 2 * padding || dx[i] < 0 || dx[i] > 2 * padding) {
                throw new IllegalArgumentException("offsets must be in 0.." + 2 * padding);
            }
        }
        NDManager m = x.getManager();
        NDArray padded = BatchShapes.pad(x, padding, padding, padding, padding);
        long wp = w + 2L * padding;
        NDArray rows =
                m.arange(0, (int) h, 1, DataType.INT64)
                        .reshape(1, 1, h, 1)
                        .add(m.create(toLong(dy), new Shape(b, 1, 1, 1)))
                        .broadcast(new Shape(b, c, h, wp));
        NDArray cols =
                m.arange(0, (int) w, 1, DataType.INT64)
                        .reshape(1, 1, 1, w)
                        .add(m.create(toLong(dx), new Shape(b, 1, 1, 1)))
                        .broadcast(new Shape(b, c, h, w));
        NDArray out = padded.gather(rows, 2).gather(cols, 3);
        return BatchShapes.restore(out, images);
    }

    private static long[] toLong(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
