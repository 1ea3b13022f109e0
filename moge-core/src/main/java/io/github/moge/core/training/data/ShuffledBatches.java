package io.github.moge.core.training.data;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.Batchifier;
import java.io.IOException;

/**
 * Batches of a DJL {@link RandomAccessDataset} in an order that is a function of (seed, epoch)
 * ({@link RunSeeds#epochOrder}), or in dataset order without shuffling (validation). Records are
 * stacked with {@link Batchifier#STACK}.
 */
public final class ShuffledBatches implements BatchSource {

    private final RandomAccessDataset dataset;
    private final BatchOrder order;

    private ShuffledBatches(Builder builder) {
        this.dataset = builder.dataset;
        this.order =
                new BatchOrder(
                        Math.toIntExact(dataset.size()),
                        builder.batchSize,
                        builder.shuffle,
                        builder.dropLast);
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
        return order.batchesPerEpoch();
    }

    /** {@inheritDoc} */
    @Override
    public Batch getBatch(NDManager manager, long seed, int epoch, int index) throws IOException {
        long[] positions = order.positions(seed, epoch, index);
        NDList[] data = new NDList[positions.length];
        NDList[] labels = new NDList[positions.length];
        for (int i = 0; i < positions.length; i++) {
            Record record = dataset.get(manager, positions[i]);
            data[i] = record.getData();
            labels[i] = record.getLabels();
        }
        return new Batch(
                manager,
                Batchifier.STACK.batchify(data),
                Batchifier.STACK.batchify(labels),
                positions.length,
                Batchifier.STACK,
                Batchifier.STACK,
                index,
                batchesPerEpoch());
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
         * Sets whether each epoch visits the samples in a (seed, epoch)-determined random order
         * (default true).
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
                throw new IllegalArgumentException(
                        "dataset and batchSize must be set before build()");
            }
            return new ShuffledBatches(this);
        }
    }
}
