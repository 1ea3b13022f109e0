package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Random erasing (Zhong et al., 2020) as timm applies it after normalisation: with a probability,
 * one rectangle of each image is replaced, by zeros or by per-pixel standard normal noise.
 *
 * <p>For an H x W image the rectangle's area is a uniform fraction of H W in {@code [minArea,
 * maxArea]} and its aspect ratio is log-uniform in {@code [minRatio, maxRatio]}: {@code h =
 * round(sqrt(area * ratio))}, {@code w = round(sqrt(area / ratio))}; a draw that does not fit is
 * retried up to 10 times, after which the image is left alone. The position is uniform. Boxes come
 * from the host generator; the erasure is one masked blend on the batch's device. Noise is drawn
 * from the engine's generator (seed it with {@code Engine.getInstance().setRandomSeed}).
 */
public final class RandomErasing implements Reseedable {

    /** What fills an erased rectangle. */
    public enum Mode {
        /** Zeros (the dataset mean, after normalisation). */
        CONST,
        /** Standard normal noise per pixel and channel (timm's {@code pixel} mode). */
        PIXEL
    }

    private static final int ATTEMPTS = 10;

    private final float probability;
    private final float minArea;
    private final float maxArea;
    private final double logMinRatio;
    private final double logMaxRatio;
    private final Mode mode;
    private final Random random;

    /**
     * Creates the transform with timm's defaults: area 2% to 1/3 of the image, aspect ratio 0.3 to
     * 1/0.3.
     *
     * @param probability the chance that an image gets a rectangle, in {@code [0, 1]}
     * @param mode what fills the rectangle
     * @param seed the seed of the box generator
     */
    public RandomErasing(float probability, Mode mode, long seed) {
        this(probability, 0.02f, 1f / 3f, 0.3f, 1f / 0.3f, mode, seed);
    }

    /**
     * Creates the transform.
     *
     * @param probability the chance that an image gets a rectangle, in {@code [0, 1]}
     * @param minArea smallest area fraction, in {@code (0, maxArea]}
     * @param maxArea largest area fraction, at most 1
     * @param minRatio smallest aspect ratio h / w, positive
     * @param maxRatio largest aspect ratio, at least minRatio
     * @param mode what fills the rectangle
     * @param seed the seed of the box generator
     */
    public RandomErasing(
            float probability,
            float minArea,
            float maxArea,
            float minRatio,
            float maxRatio,
            Mode mode,
            long seed) {
        if (!(probability >= 0 && probability <= 1)
                || !(minArea > 0 && minArea <= maxArea && maxArea <= 1)
                || !(minRatio > 0 && minRatio <= maxRatio)) {
            throw new IllegalArgumentException("invalid random erasing settings");
        }
        this.probability = probability;
        this.minArea = minArea;
        this.maxArea = maxArea;
        this.logMinRatio = Math.log(minRatio);
        this.logMaxRatio = Math.log(maxRatio);
        this.mode = mode;
        this.random = new Random(seed);
    }

    /** {@inheritDoc} */
    @Override
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /**
     * Erases one random rectangle in a random subset of the batch.
     *
     * @param images {@code [B, C, H, W]}
     * @return the batch with the rectangles replaced
     */
    public NDArray apply(NDArray images) {
        NDArray x = BatchShapes.asBatch(images, "RandomErasing");
        Shape s = x.getShape();
        NDArray mask =
                sampleMask(x.getManager(), (int) s.get(0), (int) s.get(2), (int) s.get(3))
                        .toType(x.getDataType(), false);
        NDArray fill =
                mode == Mode.PIXEL
                        ? x.getManager().randomNormal(0f, 1f, s, x.getDataType())
                        : x.getManager().zeros(s, x.getDataType());
        NDArray out = x.add(fill.sub(x).mul(mask));
        return BatchShapes.restore(out, images);
    }

    /**
     * Draws the rectangles of one batch as a mask.
     *
     * @param manager the manager (and device) of the result
     * @param batch the number of images
     * @param height the image height
     * @param width the image width
     * @return {@code [B, 1, H, W]} float32, 1 inside the erased rectangle of each image, else 0
     */
    public NDArray sampleMask(NDManager manager, int batch, int height, int width) {
        long[] top = new long[batch];
        long[] bottom = new long[batch];
        long[] left = new long[batch];
        long[] right = new long[batch];
        for (int i = 0; i < batch; i++) {
            if (random.nextFloat() >= probability) {
                continue; // empty box: top == bottom == 0
            }
            double area = height * (double) width;
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                double target = area * (minArea + (maxArea - minArea) * random.nextDouble());
                double ratio =
                        Math.exp(logMinRatio + (logMaxRatio - logMinRatio) * random.nextDouble());
                int h = (int) Math.round(Math.sqrt(target * ratio));
                int w = (int) Math.round(Math.sqrt(target / ratio));
                if (h >= 1 && w >= 1 && h < height && w < width) {
                    top[i] = random.nextInt(height - h + 1);
                    left[i] = random.nextInt(width - w + 1);
                    bottom[i] = top[i] + h;
                    right[i] = left[i] + w;
                    break;
                }
            }
        }
        NDArray rowsIdx = manager.arange(0, height, 1, DataType.INT64).reshape(1, height);
        NDArray colsIdx = manager.arange(0, width, 1, DataType.INT64).reshape(1, width);
        NDArray rows = inside(manager, rowsIdx, top, bottom);
        NDArray cols = inside(manager, colsIdx, left, right);
        return rows.reshape(batch, 1, height, 1).mul(cols.reshape(batch, 1, 1, width));
    }

    private static NDArray inside(NDManager m, NDArray idx, long[] lo, long[] hi) {
        NDArray l = m.create(lo, new Shape(lo.length, 1));
        NDArray h = m.create(hi, new Shape(hi.length, 1));
        return idx.gte(l).logicalAnd(idx.lt(h)).toType(DataType.FLOAT32, false);
    }
}
