package io.github.moge.lm.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import io.github.moge.core.training.BatchSource;
import io.github.moge.lm.data.StreamBatcher;

/**
 * The training token stream as a {@link BatchSource}: batch j of every epoch is block j of the B parallel
 * streams of a {@link StreamBatcher} (sequential, never shuffled, so the memory a model carries from block
 * j to block j + 1 belongs to the same streams). A last partial block is dropped.
 *
 * <p>Batch data is {@code (tokens [B, M])}, the labels {@code (next tokens [B, M])}, both int32; the
 * {@link LmTrainingStep} adds the carried memory to the model's inputs. A batch's size is its number of
 * predicted tokens, so the samples per second that {@code TrainingRun} reports are tokens per second.
 */
public final class StreamBatches implements BatchSource {

    private final StreamBatcher blocks;
    private final int batchesPerEpoch;

    /**
     * Creates the batches.
     *
     * @param stream the training token ids
     * @param rows B, the parallel streams
     * @param block M, tokens per row and batch
     * @param maxBatchesPerEpoch uses only the first blocks of every epoch (0 = all), for short runs
     */
    public StreamBatches(int[] stream, int rows, int block, int maxBatchesPerEpoch) {
        if (maxBatchesPerEpoch < 0) {
            throw new IllegalArgumentException("maxBatchesPerEpoch must be >= 0, got " + maxBatchesPerEpoch);
        }
        this.blocks = new StreamBatcher(stream, rows, block, false);
        int all = blocks.size();
        if (all < 1) {
            throw new IllegalArgumentException(
                    "a stream of " + stream.length + " tokens in " + rows + " rows holds no full block of "
                            + block + " tokens: use fewer rows or a shorter block");
        }
        this.batchesPerEpoch = maxBatchesPerEpoch > 0 ? Math.min(all, maxBatchesPerEpoch) : all;
    }

    /** {@inheritDoc} */
    @Override
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** {@inheritDoc} */
    @Override
    public Batch getBatch(NDManager manager, long seed, int epoch, int index) {
        if (index < 0 || index >= batchesPerEpoch) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch);
        }
        NDList block = blocks.get(manager, index);
        return new Batch(
                manager,
                new NDList(block.get(0)),
                new NDList(block.get(1)),
                Math.toIntExact(block.get(0).size()),
                Batchifier.STACK,
                Batchifier.STACK,
                index,
                batchesPerEpoch);
    }
}
