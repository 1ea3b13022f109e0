package io.github.moge.core.training;

import java.util.Collections;
import java.util.Map;

/**
 * The summary of one epoch: sample-weighted means of the training metrics over its batches (including
 * batches run before a resume), validation metrics if a validation set is configured, and wall time.
 */
public final class EpochRecord {

    private final int epoch;
    private final Map<String, Double> training;
    private final Map<String, Double> validation;
    private final long skippedSteps;
    private final double seconds;

    EpochRecord(
            int epoch,
            Map<String, Double> training,
            Map<String, Double> validation,
            long skippedSteps,
            double seconds) {
        this.epoch = epoch;
        this.training = Collections.unmodifiableMap(training);
        this.validation = Collections.unmodifiableMap(validation);
        this.skippedSteps = skippedSteps;
        this.seconds = seconds;
    }

    /** Returns the epoch, 0-based. */
    public int getEpoch() {
        return epoch;
    }

    /** Returns the training means: "loss", each component and each evaluator by name. */
    public Map<String, Double> getTraining() {
        return training;
    }

    /** Returns the validation means ("loss" and evaluators), empty without validation data. */
    public Map<String, Double> getValidation() {
        return validation;
    }

    /** Returns the number of steps of the run skipped so far. */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** Returns the training wall time of the epoch in seconds (summed over interrupted parts). */
    public double getSeconds() {
        return seconds;
    }
}
