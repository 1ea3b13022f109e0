package io.github.moge.core.training;

import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.training.data.RunSeeds;

/**
 * The forward pass and loss of one batch, pluggable so that commands can change what a step does
 * without copying the loop: a language model carries an attention memory from batch to batch,
 * vision applies mixup or cutmix.
 *
 * <p>{@link TrainingRun} opens the gradient collector, calls {@link #forward}, runs backward on the
 * returned loss, then clips, guards, steps the optimizer and notifies listeners. The engine has
 * been reseeded for the step ({@link RunSeeds#stepSeed}), so engine randomness here is
 * reproducible; Java-side randomness must come from {@link StepContext#seedFor(long)}.
 *
 * <p>With several replicas (data parallel, {@code TrainingRun.Builder#optDevices}) the loop calls
 * {@link #forward} once per slice of the batch, each on its device, and evaluates the trainer's
 * loss once on the merged output of all slices; the loss each call returns is not used then.
 *
 * <p>A step that carries state across batches returns it from {@link #saveState()} (arrays that are
 * copied into the checkpoint) and takes it back in {@link #loadState(NDList)}: that is what makes a
 * mid-epoch resume of such a model exact.
 */
public interface TrainingStep {

    /**
     * Runs the forward pass and the loss of one batch (inside the gradient collector).
     *
     * @param trainer the trainer (its loss, model and parameter store)
     * @param batch the batch
     * @param context the step's position, seed and manager
     * @return the loss, labels and predictions
     */
    StepOutput forward(Trainer trainer, Batch batch, StepContext context);

    /**
     * Called before the first batch of every epoch (also when a run resumes at the start of an
     * epoch), e.g. to reset a carried memory.
     *
     * @param epoch the epoch, 0-based
     */
    default void onEpochStart(int epoch) {}

    /**
     * Returns state carried between batches, saved with every checkpoint.
     *
     * @return the arrays (not closed by the caller), possibly none
     */
    default NDList saveState() {
        return new NDList();
    }

    /**
     * Restores state saved by {@link #saveState()} when a run resumes.
     *
     * @param state the arrays, on the model's manager
     */
    default void loadState(NDList state) {}

    /**
     * Returns whether a batch may be split across replicas, each slice forwarded by this step on
     * its own device (data parallel). A step that carries per-row state from batch to batch (an
     * attention memory) cannot be split: such a run trains on one device.
     *
     * @return true unless the step carries state across batches
     */
    default boolean splitsAcrossReplicas() {
        return true;
    }

    /** The default step: forward the batch's data and labels and apply the trainer's loss. */
    TrainingStep STANDARD =
            (trainer, batch, context) -> {
                NDList predictions = trainer.forward(batch.getData(), batch.getLabels());
                return new StepOutput(
                        trainer.getLoss().evaluate(batch.getLabels(), predictions),
                        batch.getLabels(),
                        predictions);
            };
}
