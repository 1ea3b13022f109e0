package io.github.moge.core.training.data;

import java.util.Random;

/**
 * Randomness of a run as a pure function of its seed, so a resumed run draws exactly what the
 * uninterrupted run drew without reading any engine RNG state (DJL cannot read PyTorch's).
 *
 * <ul>
 *   <li>{@link #stepSeed(long, long)}: the engine is reseeded with this before every training step,
 *       so noise, dropout and augmentation in step s depend only on (seed, s).
 *   <li>{@link #epochOrder(long, int, int)}: the order in which an epoch visits the samples depends
 *       only on (seed, epoch), so a run can start in the middle of an epoch.
 * </ul>
 *
 * <p>Seeds are derived with the SplitMix64 finaliser; {@link java.util.Random}'s algorithm is fixed
 * by its specification, so orders are the same on every JVM.
 */
public final class RunSeeds {

    private static final long STEP_STREAM = 0x5EED_0001L;
    private static final long EPOCH_STREAM = 0x5EED_0002L;
    private static final long VALIDATION_STREAM = 0x5EED_0003L;

    private RunSeeds() {}

    /**
     * Returns the engine seed for a training step.
     *
     * @param seed the run seed
     * @param step the global step (0 for the first batch of the run)
     * @return the seed to pass to {@code Engine.setRandomSeed}
     */
    public static int stepSeed(long seed, long step) {
        return (int) (mix(seed, STEP_STREAM, step) >>> 33);
    }

    /**
     * Returns the engine seed used before validating after an epoch.
     *
     * @param seed the run seed
     * @param epoch the epoch (0-based)
     * @return the seed
     */
    public static int validationSeed(long seed, int epoch) {
        return (int) (mix(seed, VALIDATION_STREAM, epoch) >>> 33);
    }

    /**
     * Returns a long seed for a named stream at a step, for step code that draws with Java's RNGs
     * (e.g. mixup's mixing ratio).
     *
     * @param seed the run seed
     * @param stream a constant naming the stream
     * @param step the global step
     * @return a seed for {@code new Random(...)} or {@code new SplittableRandom(...)}
     */
    public static long derive(long seed, long stream, long step) {
        return mix(seed, stream, step);
    }

    /**
     * Returns the order in which an epoch visits samples 0..size-1: a Fisher-Yates shuffle seeded
     * by (seed, epoch).
     *
     * @param seed the run seed
     * @param epoch the epoch (0-based)
     * @param size the number of samples
     * @return a permutation of 0..size-1
     */
    public static long[] epochOrder(long seed, int epoch, int size) {
        long[] order = new long[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        Random random = new Random(mix(seed, EPOCH_STREAM, epoch));
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    private static long mix(long seed, long stream, long index) {
        return splitMix(splitMix(seed ^ splitMix(stream)) + index);
    }

    private static long splitMix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
