package io.github.moge.core.training;

import ai.djl.ndarray.NDManager;
import io.github.moge.core.training.data.RunSeeds;

/**
 * Where a training step stands: the run seed, the global step and the batch position, and the
 * manager that lives for this step only. Step code that needs Java-side randomness (mixup ratios,
 * crop offsets) takes it from {@link #seedFor(long)} so a resumed run draws the same values.
 */
public final class StepContext {

    private final long seed;
    private final long step;
    private final int epoch;
    private final int batchInEpoch;
    private final NDManager manager;

    StepContext(long seed, long step, int epoch, int batchInEpoch, NDManager manager) {
        this.seed = seed;
        this.step = step;
        this.epoch = epoch;
        this.batchInEpoch = batchInEpoch;
        this.manager = manager;
    }

    /** {@return the run seed} */
    public long getSeed() {
        return seed;
    }

    /** {@return the global step, 0 for the first batch of the run} */
    public long getStep() {
        return step;
    }

    /** {@return the epoch, 0-based} */
    public int getEpoch() {
        return epoch;
    }

    /** {@return the batch index within the epoch} */
    public int getBatchInEpoch() {
        return batchInEpoch;
    }

    /** {@return the manager of this step, closed when the step ends} */
    public NDManager getManager() {
        return manager;
    }

    /**
     * Returns a seed for a named Java-side random stream at this step.
     *
     * @param stream a constant naming the stream
     * @return a seed that depends only on (run seed, stream, step)
     */
    public long seedFor(long stream) {
        return RunSeeds.derive(seed, stream, step);
    }
}
