package io.github.moge.core.training.data;

/**
 * Which samples each batch of an epoch holds: positions {@code 0..size-1} in data order or in the
 * order {@link RunSeeds#epochOrder} gives for (seed, epoch), cut into batches, the last partial
 * batch kept or dropped. The {@link BatchSource}s of this project share it, so that a batch is a
 * pure function of (seed, epoch, index).
 */
public final class BatchOrder {

    private final int size;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private long[] order;
    private int orderEpoch = -1;
    private long orderSeed;

    /**
     * Creates the order.
     *
     * @param size the number of samples
     * @param batchSize the batch size, at least 1
     * @param shuffle whether each epoch visits the samples in a (seed, epoch)-determined order
     * @param dropLast whether a last, smaller batch is dropped
     * @throws IllegalArgumentException if there is not one batch
     */
    public BatchOrder(int size, int batchSize, boolean shuffle, boolean dropLast) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.size = size;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        if (batchesPerEpoch() < 1) {
            throw new IllegalArgumentException(
                    "the data holds "
                            + size
                            + " samples, fewer than one batch of "
                            + batchSize
                            + ": lower the batch size or use more data");
        }
    }

    /**
     * Returns the number of batches in every epoch.
     *
     * @return at least 1
     */
    public int batchesPerEpoch() {
        return dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /**
     * Returns the sample positions of one batch.
     *
     * @param seed the run seed
     * @param epoch the epoch, 0-based
     * @param index the batch within the epoch
     * @return positions in {@code 0..size-1}
     */
    public synchronized long[] positions(long seed, int epoch, int index) {
        if (index < 0 || index >= batchesPerEpoch()) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch());
        }
        if (shuffle && (order == null || orderEpoch != epoch || orderSeed != seed)) {
            order = RunSeeds.epochOrder(seed, epoch, size);
            orderEpoch = epoch;
            orderSeed = seed;
        }
        int from = index * batchSize;
        long[] out = new long[Math.min(size, from + batchSize) - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = shuffle ? order[from + i] : from + i;
        }
        return out;
    }
}
