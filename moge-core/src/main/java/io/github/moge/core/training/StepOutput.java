package io.github.moge.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What a {@link TrainingStep} computed for one batch: the scalar loss to differentiate, and the
 * labels and predictions the loss components and evaluators are computed from (labels may differ
 * from the batch's, e.g. mixed by mixup).
 */
public final class StepOutput {

    private final NDArray loss;
    private final NDList labels;
    private final NDList predictions;

    /**
     * Creates the output.
     *
     * @param loss the scalar training loss
     * @param labels the labels the loss used
     * @param predictions the model output: (prediction, auxiliary terms...)
     */
    public StepOutput(NDArray loss, NDList labels, NDList predictions) {
        this.loss = loss;
        this.labels = labels;
        this.predictions = predictions;
    }

    /** {@return the scalar training loss} */
    public NDArray getLoss() {
        return loss;
    }

    /** {@return the labels the loss used} */
    public NDList getLabels() {
        return labels;
    }

    /** {@return the model output} */
    public NDList getPredictions() {
        return predictions;
    }
}
