package io.github.moge.core.training;

import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import java.util.List;

/**
 * A measurement taken inside a training step, between the backward pass and the update, while the
 * gradients of the step are still in place; its values become extra columns of {@code metrics.csv}.
 *
 * <p>A diagnostic must not change the trajectory: it may read gradients and run its own
 * computations, but it must not touch the model's parameters or gradients, nor draw from the
 * engine's random generator. {@link TrainingRun} fetches its values together with the step's other
 * scalars in one host read.
 */
public interface StepDiagnostic {

    /**
     * Returns the names of the values, the column names in {@code metrics.csv}.
     *
     * @return one or more names
     */
    List<String> names();

    /**
     * Called before the forward pass of every step, e.g. to ask the model to emit what the
     * measurement needs at the steps it measures.
     *
     * @param trainer the trainer (its model and loss)
     * @param step the global step about to run
     */
    default void beforeForward(Trainer trainer, long step) {}

    /**
     * Measures the step after its backward pass, before clipping and the update.
     *
     * @param trainer the trainer; its model holds this step's gradients
     * @param output what the training step computed (loss, labels, predictions)
     * @param context the step's position and its manager (arrays created on it are freed with the
     *     step)
     * @return one scalar per name, in order, or {@code null} for a step this diagnostic does not
     *     measure (its cells in {@code metrics.csv} stay empty)
     */
    NDList measure(Trainer trainer, StepOutput output, StepContext context);
}
