package io.github.moge.vision.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import io.github.moge.core.training.data.BatchOrder;
import io.github.moge.core.training.data.BatchSource;
import io.github.moge.core.training.data.RunSeeds;
import io.github.moge.vision.data.ImageClassificationData;
import java.util.Arrays;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Batches of an {@link ImageClassificationData} as a function of (seed, epoch, index), built whole
 * on the batch manager's device ({@link ImageClassificationData#getImages}): the shuffled order of
 * an epoch is {@link RunSeeds#epochOrder}, so a resumed run can start at any batch.
 *
 * <p>A limit with shuffling uses a fixed, seeded subset of the examples (the same subset every
 * epoch and on resume); without shuffling (evaluation) the first examples.
 */
public final class ImageBatches implements BatchSource {

    private final ImageClassificationData data;
    private final long[] pool;
    private final BatchOrder order;
    private final UnaryOperator<NDArray> transform;

    private ImageBatches(Builder b) {
        this.data = b.data;
        this.transform = b.transform;
        this.pool = pool(data.size(), b.limit, b.shuffle, b.subsetSeed);
        this.order = new BatchOrder(pool.length, b.batchSize, b.shuffle, b.dropLast);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the examples a limit selects: all of them, the first {@code limit} in data order, or
     * (random) the first {@code limit} of a permutation seeded by {@code seed}.
     */
    private static long[] pool(long size, long limit, boolean random, long seed) {
        long[] all = new long[Math.toIntExact(size)];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        if (limit <= 0 || limit >= size) {
            return all;
        }
        if (!random) {
            return Arrays.copyOf(all, (int) limit);
        }
        Random generator = new Random(seed);
        for (int i = all.length - 1; i > 0; i--) {
            int j = generator.nextInt(i + 1);
            long t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, (int) limit);
    }

    /** {@return the number of examples an epoch visits (before dropping a partial batch)} */
    public int examples() {
        return pool.length;
    }

    /** {@inheritDoc} */
    @Override
    public int batchesPerEpoch() {
        return order.batchesPerEpoch();
    }

    /** {@inheritDoc} */
    @Override
    public Batch getBatch(NDManager manager, long seed, int epoch, int index) {
        long[] indices = order.positions(seed, epoch, index);
        for (int i = 0; i < indices.length; i++) {
            indices[i] = pool[(int) indices[i]];
        }
        NDArray x = transform.apply(data.getImages(manager, indices));
        NDArray y = data.getLabels(manager, indices);
        return new Batch(
                manager,
                new NDList(x),
                new NDList(y),
                indices.length,
                Batchifier.STACK,
                Batchifier.STACK,
                index,
                batchesPerEpoch());
    }

    /** Builds {@link ImageBatches}. */
    public static final class Builder {

        private ImageClassificationData data;
        private int batchSize;
        private boolean shuffle = true;
        private boolean dropLast;
        private long limit;
        private long subsetSeed;
        private UnaryOperator<NDArray> transform = UnaryOperator.identity();

        Builder() {}

        /**
         * Sets the data.
         *
         * @param data a prepared dataset
         * @return this builder
         */
        public Builder setData(ImageClassificationData data) {
            this.data = data;
            return this;
        }

        /**
         * Sets the batch size.
         *
         * @param batchSize at least 1
         * @return this builder
         */
        public Builder setBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets whether each epoch visits the examples in a (seed, epoch)-determined random order
         * (default true; false for evaluation).
         *
         * @param shuffle whether to shuffle
         * @return this builder
         */
        public Builder optShuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Sets whether a last, smaller batch is dropped (default false; a training loop whose model
         * was initialized with one batch size drops it).
         *
         * @param dropLast whether to drop it
         * @return this builder
         */
        public Builder optDropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * Uses only {@code limit} examples (0: all): with shuffling a seeded random subset, in data
         * order the first ones.
         *
         * @param limit the number of examples, 0 for all
         * @param seed the seed of the subset
         * @return this builder
         */
        public Builder optLimit(long limit, long seed) {
            this.limit = limit;
            this.subsetSeed = seed;
            return this;
        }

        /**
         * Applies a transform to every batch of images (e.g. normalisation), on the batch's device.
         *
         * @param transform the transform
         * @return this builder
         */
        public Builder optTransform(UnaryOperator<NDArray> transform) {
            this.transform = transform;
            return this;
        }

        /**
         * Builds the source.
         *
         * @return the source
         */
        public ImageBatches build() {
            if (data == null || batchSize < 1 || limit < 0) {
                throw new IllegalArgumentException(
                        "ImageBatches needs data, a batch size >= 1 and a limit >= 0 (got batch"
                                + " size "
                                + batchSize
                                + ", limit "
                                + limit
                                + ")");
            }
            return new ImageBatches(this);
        }
    }
}
