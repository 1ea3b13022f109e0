package io.github.moge.examples.invariance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import io.github.moge.core.training.BatchSource;
import io.github.moge.core.training.RunSeeds;
import io.github.moge.vision.data.FashionMnistDataset;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Training batches of flattened Fashion-MNIST images, gathered whole ({@link
 * FashionMnistDataset#getImages}) and normalised, in an order that depends only on (seed, epoch).
 */
final class FashionMnistBatches implements BatchSource {

    private final FashionMnistDataset dataset;
    private final int batchSize;
    private final UnaryOperator<NDArray> normalize;
    private final int size;
    private long[] order;
    private int orderEpoch = -1;
    private long orderSeed;

    FashionMnistBatches(FashionMnistDataset dataset, int batchSize, UnaryOperator<NDArray> normalize) {
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.normalize = normalize;
        this.size = Math.toIntExact(dataset.size());
    }

    @Override
    public int batchesPerEpoch() {
        return (size + batchSize - 1) / batchSize;
    }

    @Override
    public synchronized Batch getBatch(NDManager manager, long seed, int epoch, int index) {
        if (order == null || orderEpoch != epoch || orderSeed != seed) {
            order = RunSeeds.epochOrder(seed, epoch, size);
            orderEpoch = epoch;
            orderSeed = seed;
        }
        int from = index * batchSize;
        long[] idx = Arrays.copyOfRange(order, from, Math.min(size, from + batchSize));
        NDArray x = normalize.apply(dataset.getImages(manager, idx));
        NDArray y = dataset.getLabels(manager, idx);
        return new Batch(manager, new NDList(x), new NDList(y), idx.length, Batchifier.STACK,
                Batchifier.STACK, index, batchesPerEpoch());
    }
}
