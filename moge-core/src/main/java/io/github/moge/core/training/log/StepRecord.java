package io.github.moge.core.training.log;

import java.util.Collections;
import java.util.Map;

/**
 * The metrics of one training step, as written to {@code metrics.csv} and passed to the loop's step
 * listeners.
 */
public final class StepRecord {

    private final long step;
    private final int epoch;
    private final int batchInEpoch;
    private final float loss;
    private final Map<String, Float> components;
    private final Map<String, Float> evaluations;
    private final Map<String, Float> diagnostics;
    private final float gradientNorm;
    private final float learningRate;
    private final boolean skipped;
    private final int samples;
    private final double millis;

    /**
     * Creates the record of one training step.
     *
     * @param step the global step
     * @param epoch the epoch, from 0
     * @param batchInEpoch the batch within the epoch, from 0
     * @param loss the total loss
     * @param components the loss components by name
     * @param evaluations the training evaluators' values by name
     * @param diagnostics the step diagnostics' values by name
     * @param gradientNorm the global gradient norm before clipping
     * @param learningRate the learning rate of the step
     * @param skipped whether the update was skipped (non-finite loss or gradient)
     * @param samples the samples in the batch
     * @param millis the step's wall time
     */
    public StepRecord(
            long step,
            int epoch,
            int batchInEpoch,
            float loss,
            Map<String, Float> components,
            Map<String, Float> evaluations,
            Map<String, Float> diagnostics,
            float gradientNorm,
            float learningRate,
            boolean skipped,
            int samples,
            double millis) {
        this.step = step;
        this.epoch = epoch;
        this.batchInEpoch = batchInEpoch;
        this.loss = loss;
        this.components = Collections.unmodifiableMap(components);
        this.evaluations = Collections.unmodifiableMap(evaluations);
        this.diagnostics = Collections.unmodifiableMap(diagnostics);
        this.gradientNorm = gradientNorm;
        this.learningRate = learningRate;
        this.skipped = skipped;
        this.samples = samples;
        this.millis = millis;
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

    /** {@return the training loss of the batch} */
    public float getLoss() {
        return loss;
    }

    /**
     * {@return the loss components by name (e.g. cross-entropy, balance_loss, group_sparse_loss)}
     */
    public Map<String, Float> getComponents() {
        return components;
    }

    /** {@return the evaluators' values on the batch, by evaluator name} */
    public Map<String, Float> getEvaluations() {
        return evaluations;
    }

    /**
     * {@return the values of the run's step diagnostics by column name; NaN where a diagnostic did
     * not measure this step}
     */
    public Map<String, Float> getDiagnostics() {
        return diagnostics;
    }

    /** {@return the global L2 norm of the gradients before clipping} */
    public float getGradientNorm() {
        return gradientNorm;
    }

    /** {@return the learning rate of this step's update (NaN if skipped before any update)} */
    public float getLearningRate() {
        return learningRate;
    }

    /** {@return whether the update was skipped because the loss or gradient was not finite} */
    public boolean isSkipped() {
        return skipped;
    }

    /** {@return the number of samples in the batch} */
    public int getSamples() {
        return samples;
    }

    /** {@return the wall time of the step in milliseconds} */
    public double getMillis() {
        return millis;
    }
}
