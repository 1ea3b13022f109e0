package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import java.util.Random;

/**
 * Mirrors each image of a batch left-right with a probability, independently per image.
 *
 * <p>DJL 0.25's {@code RandomFlipLeftRight} computes the flip and then returns its input unchanged;
 * this class is the working replacement. The flip is one {@code flip} on the width axis of the
 * whole batch and a per-image blend, on the batch's device.
 */
public final class RandomHorizontalFlip implements Reseedable {

    private final float probability;
    private final Random random;

    /**
     * Creates the transform.
     *
     * @param probability the chance that an image is flipped, in {@code [0, 1]}
     * @param seed the seed of the decision generator
     */
    public RandomHorizontalFlip(float probability, long seed) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability must be in [0, 1], got " + probability);
        }
        this.probability = probability;
        this.random = new Random(seed);
    }

    /** {@inheritDoc} */
    @Override
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /**
     * Flips a random subset of the batch.
     *
     * @param images {@code [B, C, H, W]}
     * @return the batch with some images mirrored
     */
    public NDArray apply(NDArray images) {
        NDArray x = BatchShapes.asBatch(images, "RandomHorizontalFlip");
        float[] m = new float[(int) x.getShape().get(0)];
        for (int i = 0; i < m.length; i++) {
            m[i] = random.nextFloat() < probability ? 1f : 0f;
        }
        NDArray mask = BatchShapes.perSample(x, m);
        NDArray out = x.add(flip(x).sub(x).mul(mask));
        return BatchShapes.restore(out, images);
    }

    /**
     * Mirrors every image left-right (deterministic).
     *
     * @param images {@code [..., H, W]}
     * @return the mirrored images
     */
    public static NDArray flip(NDArray images) {
        return images.flip(images.getShape().dimension() - 1);
    }
}
