package io.github.moge.lm.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import io.github.moge.core.training.data.BatchSource;
import io.github.moge.lm.data.StreamBatcher;

/**
 * The training token stream as a {@link BatchSource}: batches are the blocks of the B parallel
 * streams of a {@link StreamBatcher} in order (sequential, never shuffled, so the memory a model
 * carries from block j to block j + 1 belongs to the same streams). A last partial block is
 * dropped.
 *
 * <p>Two ways to cut epochs: {@link #StreamBatches(int[], int, int, int)} makes every epoch one
 * pass from the first block (optionally only its first blocks, for short runs); {@link #continuing}
 * makes every epoch a fixed number of blocks that continue where the previous epoch stopped and
 * wrap to the first block at the end of the stream, as the reference trainer counts an epoch
 * ({@code --nbatches 1000}). {@link #startsStreams} says which batches begin the streams again,
 * where the carried memory is reset.
 *
 * <p>Batch data is {@code (tokens [B, M])}, the labels {@code (next tokens [B, M])}, both int32;
 * the {@link LmTrainingStep} adds the carried memory to the model's inputs. A batch's size is its
 * number of predicted tokens, so the samples per second that {@code TrainingRun} reports are tokens
 * per second.
 */
public final class StreamBatches implements BatchSource {

    private final StreamBatcher blocks;
    private final int batchesPerEpoch;
    private final boolean continuing;

    /**
     * Creates batches where every epoch is a pass from the first block.
     *
     * @param stream the training token ids
     * @param rows B, the parallel streams
     * @param block M, tokens per row and batch
     * @param maxBatchesPerEpoch uses only the first blocks of every epoch (0 = all), for short runs
     */
    public StreamBatches(int[] stream, int rows, int block, int maxBatchesPerEpoch) {
        this(stream, rows, block, maxBatchesPerEpoch, false);
    }

    private StreamBatches(int[] stream, int rows, int block, int batches, boolean continuing) {
        if (batches < 0) {
            throw new IllegalArgumentException("batches per epoch must be >= 0, got " + batches);
        }
        this.blocks = new StreamBatcher(stream, rows, block, false);
        int all = blocks.size();
        if (all < 1) {
            throw new IllegalArgumentException(
                    "a stream of "
                            + stream.length
                            + " tokens in "
                            + rows
                            + " rows holds no full block of "
                            + block
                            + " tokens: use fewer rows or a shorter block");
        }
        this.continuing = continuing && batches > 0;
        this.batchesPerEpoch =
                batches == 0 ? all : this.continuing ? batches : Math.min(all, batches);
    }

    /**
     * Creates batches where every epoch is {@code batchesPerEpoch} blocks continuing the stream
     * across epochs (0 = one full pass per epoch, as the other constructor).
     *
     * @param stream the training token ids
     * @param rows B, the parallel streams
     * @param block M, tokens per row and batch
     * @param batchesPerEpoch blocks per epoch, may exceed the blocks of one pass (the stream wraps)
     * @return the batches
     */
    public static StreamBatches continuing(int[] stream, int rows, int block, int batchesPerEpoch) {
        return new StreamBatches(stream, rows, block, batchesPerEpoch, true);
    }

    /** {@inheritDoc} */
    @Override
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /**
     * Returns which block of the streams batch {@code index} of {@code epoch} is.
     *
     * @param epoch the epoch, from 0
     * @param index the batch within the epoch
     * @return the block index in [0, blocks of one pass)
     */
    public int blockOf(int epoch, int index) {
        if (index < 0 || index >= batchesPerEpoch || epoch < 0) {
            throw new IndexOutOfBoundsException(
                    "batch " + index + " of " + batchesPerEpoch + " in epoch " + epoch);
        }
        return continuing
                ? (int) (((long) epoch * batchesPerEpoch + index) % blocks.size())
                : index;
    }

    /**
     * Returns whether the batch begins the streams again (block 0): the memory carried into it must
     * be zero.
     *
     * @param epoch the epoch, from 0
     * @param index the batch within the epoch
     * @return whether it is the first block of the streams
     */
    public boolean startsStreams(int epoch, int index) {
        return blockOf(epoch, index) == 0;
    }

    /** {@inheritDoc} */
    @Override
    public Batch getBatch(NDManager manager, long seed, int epoch, int index) {
        NDList block = blocks.get(manager, blockOf(epoch, index));
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
