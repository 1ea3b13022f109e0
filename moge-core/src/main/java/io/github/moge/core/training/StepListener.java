package io.github.moge.core.training;

import io.github.moge.core.training.log.StepRecord;

/**
 * Observes every completed training step (after the update and the metrics row). Throwing from
 * {@link #onStep} ends the run at once without a checkpoint, as a crash would; {@link
 * TrainingRun#requestStop()} ends it cleanly with one.
 */
@FunctionalInterface
public interface StepListener {

    /**
     * Called after each training step.
     *
     * @param record the step's metrics
     */
    void onStep(StepRecord record);
}
