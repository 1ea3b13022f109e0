package io.github.moge.core.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.Batchifier;
import java.io.IOException;

/**
 * Batches of a DJL {@link RandomAccessDataset} in an order that is a function of (seed, epoch) ({@link
 * RunSeeds#epochOrder}), or in dataset order without shuffling (validation). Records are stacked with
 * {@link Batchifier#STACK}.
 */
public final class ShuffledBatches implements BatchSource {

    private final RandomAccessDataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final int size;
    private long[] order;
    private long orderKey = Long.MIN_VALUE;
    private long orderSeed;

    private ShuffledBatches(Builder builder) {
        this.dataset = builder.dataset;
        this.batchSize = builder.batchSize;
        this.shuffle = builder.shuffle;
        this.dropLast = builder.dropLast;
        this.size = Math.toIntExact(dataset.size());
        if (batchesPerEpoch() < 1) {
            throw new IllegalArgumentException(
                    "the dataset holds " + size + " samples, fewer than one batch of " + batchSize);
        }
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public int batchesPerEpoch() {
        return dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized Batch getBatch(NDManager manager, long seed, int epoch, int index)
            throws IOException {
        if (index < 0 || index >= batchesPerEpoch()) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch());
        }
        int from = index * batchSize;
        int to = Math.min(size, from + batchSize);
        NDList[] data = new NDList[to - from];
        NDList[] labels = new NDList[to - from];
        for (int i = from; i < to; i++) {
            Record record = dataset.get(manager, sampleAt(seed, epoch, i));
            data[i - from] = record.getData();
            labels[i - from] = record.getLabels();
        }
        return new Batch(
                manager,
                Batchifier.STACK.batchify(data),
                Batchifier.STACK.batchify(labels),
                to - from,
                Batchifier.STACK,
                Batchifier.STACK,
                index,
                batchesPerEpoch());
    }

    private long sampleAt(long seed, int epoch, int position) {
        if (!shuffle) {
            return position;
        }
        if (order == null || orderKey != epoch || orderSeed != seed) {
            order = RunSeeds.epochOrder(seed, epoch, size);
            orderKey = epoch;
            orderSeed = seed;
        }
        return order[position];
    }

    /** Builds a {@link ShuffledBatches}. */
    public static final class Builder {

        private RandomAccessDataset dataset;
        private int batchSize;
        private boolean shuffle = true;
        private boolean dropLast;

        Builder() {}

        /**
         * Sets the dataset (prepared).
         *
         * @param dataset the dataset
         * @return this builder
         */
        public Builder setDataset(RandomAccessDataset dataset) {
            this.dataset = dataset;
            return this;
        }

        /**
         * Sets the batch size.
         *
         * @param batchSize at least 1
         * @return this builder
         */
        public Builder setBatchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets whether each epoch visits the samples in a (seed, epoch)-determined random order (default
         * true).
         *
         * @param shuffle whether to shuffle
         * @return this builder
         */
        public Builder optShuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Sets whether a last, smaller batch is dropped (default false).
         *
         * @param dropLast whether to drop it
         * @return this builder
         */
        public Builder optDropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * Builds the source.
         *
         * @return the source
         */
        public ShuffledBatches build() {
            if (dataset == null || batchSize < 1) {
                throw new IllegalArgumentException("dataset and batchSize must be set before build()");
            }
            return new ShuffledBatches(this);
        }
    }
}
