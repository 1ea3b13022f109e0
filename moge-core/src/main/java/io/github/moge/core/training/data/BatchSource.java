package io.github.moge.core.training.data;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.io.IOException;

/**
 * The batches of one epoch as a pure function of (seed, epoch, index), so a resumed run can start
 * at any batch of any epoch without replaying the ones before it. {@link ShuffledBatches} adapts a
 * DJL {@code RandomAccessDataset}; a command with its own data layout implements this directly,
 * drawing its order from {@link RunSeeds#epochOrder(long, int, int)}.
 */
public interface BatchSource {

    /**
     * Returns the number of batches in every epoch.
     *
     * @return at least 1
     */
    int batchesPerEpoch();

    /**
     * Returns one batch; its arrays must be created on {@code manager}, which is closed after the
     * step.
     *
     * @param manager the batch's manager
     * @param seed the run seed
     * @param epoch the epoch, 0-based
     * @param index the batch within the epoch, 0-based
     * @return the batch
     * @throws IOException if the data cannot be read
     */
    Batch getBatch(NDManager manager, long seed, int epoch, int index) throws IOException;
}
