package io.github.moge.lm.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.training.StepContext;
import io.github.moge.core.training.StepOutput;
import io.github.moge.core.training.TrainingStep;
import io.github.moge.lm.model.MoeTransformerLm;

/**
 * The language model's training step: forwards {@code (tokens, memory...)} through a {@link
 * MoeTransformerLm}, applies the trainer's loss to {@code (logits, next memory..., auxiliary
 * terms...)} against the next tokens, and carries the next memory to the following batch, which
 * continues the same B streams ({@link StreamBatches}).
 *
 * <p>A batch that begins the streams again ({@link StreamBatches#startsStreams}: the first block of
 * a pass) starts from the zero memory ({@link MoeTransformerLm#initialMemory}); every other batch
 * gets the memory of the batch before it, also across an epoch boundary when epochs continue the
 * stream. The carried memory is returned by {@link #saveState()} and restored by {@link
 * #loadState(NDList)}, so a run resumed in the middle of an epoch continues with exactly the memory
 * it was interrupted with.
 *
 * <p>Memory ownership: between steps the memory lives on this step's own manager (a sub-manager of
 * the one given to the constructor). At the start of a step it moves into the step's manager, which
 * {@code TrainingRun} closes when the step ends: the model's first operations on it ({@code concat}
 * with the block) attach their results to the memory's manager, so they are freed with the step
 * too. The next memory (detached from the graph by the model) then moves onto this step's manager.
 * At most one memory per layer is alive between steps, however long the run.
 */
public final class LmTrainingStep implements TrainingStep, AutoCloseable {

    private final MoeTransformerLm lm;
    private final StreamBatches batches;
    private final int rows;
    private final NDManager manager;
    private NDList memory;

    /**
     * Creates a step for epochs that are passes from the first block: the memory is reset at the
     * first batch of every epoch.
     *
     * @param lm the model (its layer count is the number of memory arrays)
     * @param rows B, the rows of every training batch
     * @param parent the manager under which the carried memory lives, e.g. the model's
     */
    public LmTrainingStep(MoeTransformerLm lm, int rows, NDManager parent) {
        this(lm, null, rows, parent);
    }

    /**
     * Creates the step.
     *
     * @param lm the model (its layer count is the number of memory arrays)
     * @param batches the training batches (they say where the streams begin again); null: every
     *     epoch begins them
     * @param rows B, the rows of every training batch
     * @param parent the manager under which the carried memory lives, e.g. the model's
     */
    public LmTrainingStep(MoeTransformerLm lm, StreamBatches batches, int rows, NDManager parent) {
        this.lm = lm;
        this.batches = batches;
        this.rows = rows;
        this.manager = parent.newSubManager();
    }

    /** {@inheritDoc} */
    @Override
    public StepOutput forward(Trainer trainer, Batch batch, StepContext context) {
        if (batches == null
                ? context.getBatchInEpoch() == 0
                : batches.startsStreams(context.getEpoch(), context.getBatchInEpoch())) {
            dropMemory();
        }
        NDList carried = takeMemory(context.getManager());
        NDList inputs = new NDList(batch.getData().head()).addAll(carried);
        NDList predictions = trainer.forward(inputs);
        NDList next = new NDList(predictions.subList(1, 1 + lm.getLayerCount()));
        next.attach(manager);
        memory = next;
        NDArray loss = trainer.getLoss().evaluate(batch.getLabels(), predictions);
        return new StepOutput(loss, batch.getLabels(), predictions);
    }

    /** The memory has one row per stream of the whole batch: a batch cannot be split. */
    @Override
    public boolean splitsAcrossReplicas() {
        return false;
    }

    private NDList takeMemory(NDManager scope) {
        if (memory == null) {
            return lm.initialMemory(scope, rows);
        }
        NDList carried = memory;
        memory = null;
        carried.attach(scope);
        return carried;
    }

    /**
     * Returns the memory the next batch will see: one [B, S, D] array per layer, or none before the
     * first batch (the zero memory; a batch that begins the streams drops what it is given).
     *
     * @return the carried memory
     */
    @Override
    public NDList saveState() {
        return memory == null ? new NDList() : memory;
    }

    /**
     * Restores the memory saved by {@link #saveState()}.
     *
     * @param state one array per layer, or none
     */
    @Override
    public void loadState(NDList state) {
        dropMemory();
        if (state.isEmpty()) {
            return;
        }
        if (state.size() != lm.getLayerCount()) {
            throw new IllegalArgumentException(
                    "the checkpoint holds "
                            + state.size()
                            + " memory arrays but the model has "
                            + lm.getLayerCount()
                            + " layers: resume with the run's saved settings");
        }
        state.attach(manager);
        memory = state;
    }

    private void dropMemory() {
        if (memory != null) {
            memory.close();
            memory = null;
        }
    }

    /** Frees the carried memory. */
    @Override
    public void close() {
        memory = null;
        manager.close();
    }
}
