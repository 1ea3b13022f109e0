package io.github.moge.core.training;

import ai.djl.ndarray.NDList;
import io.github.moge.core.training.checkpoint.Checkpoint;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import io.github.moge.core.training.checkpoint.TrainingState;
import io.github.moge.core.training.log.RunLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When a run writes checkpoints and what goes into them beyond the store's own files: every {@code
 * N} steps (if set), after every epoch and on a stop request; the run log is flushed first, the
 * stateful listeners' states go into the state and the training step's state into the step file. On
 * resume it restores the same pieces.
 */
final class CheckpointSchedule {

    private final RunSpec spec;
    private final CheckpointStore store;
    private final RunLog log;
    private final List<StatefulListener> listeners;
    private Checkpoint last;
    private int every;

    CheckpointSchedule(RunSpec spec, CheckpointStore store, RunLog log) {
        this.spec = spec;
        this.store = store;
        this.log = log;
        this.listeners = spec.statefulListeners();
        this.every = spec.checkpointEvery;
    }

    /**
     * Returns whether a checkpoint is due after a step inside an epoch (epochs end with one
     * anyway).
     */
    boolean dueAfterStep(long step) {
        return every > 0 && step % every == 0;
    }

    /**
     * Returns whether stopping at {@code step} needs a checkpoint (none was written at that step).
     */
    boolean neededToStopAt(long step) {
        return last == null || last.getState().getStep() != step;
    }

    /** {@return the newest checkpoint written or resumed from, or null} */
    Checkpoint last() {
        return last;
    }

    /**
     * Writes a checkpoint of the run at {@code state}.
     *
     * @param state the run's state (the store fills in its optimizer entries)
     * @return a copy of the state for the loop to advance (the checkpoint keeps its own)
     * @throws IOException if writing fails
     */
    TrainingState write(TrainingState state) throws IOException {
        log.flush();
        List<String> states = new ArrayList<>();
        for (StatefulListener listener : listeners) {
            states.add(listener.saveState());
        }
        state.setListenerStates(states);
        state.setCheckpointEvery(every);
        NDList stepState = spec.trainingStep.saveState();
        // The one step written twice: an epoch's end after a stop before its evaluation, whose
        // evaluated checkpoint supersedes the one written at the stop.
        boolean supersede = last != null && last.getState().getStep() == state.getStep();
        last =
                store.write(
                        state,
                        spec.model,
                        spec.optimizer,
                        stepState,
                        spec.configuration.toJson(),
                        supersede);
        return last.getState().copy();
    }

    /**
     * Finds the checkpoint to resume from, after removing incomplete writes.
     *
     * @return the newest intact checkpoint, or empty when there is none yet
     * @throws IOException if the newest is corrupt (and fallback is off) or cannot be read
     */
    Optional<Checkpoint> resumePoint() throws IOException {
        store.removeIncompleteWrites();
        return store.latest(spec.allowFallback, log::warning);
    }

    /**
     * Loads parameters and optimizer state (before the trainer initializes the model).
     *
     * @param checkpoint the checkpoint resumed from
     * @throws IOException if a file cannot be read
     */
    void restoreModel(Checkpoint checkpoint) throws IOException {
        store.restore(checkpoint, spec.model, spec.optimizer);
        last = checkpoint;
        int saved = checkpoint.getState().getCheckpointEvery();
        if (!spec.checkpointEverySet && saved >= 0) {
            // The cadence belongs to the run unless this invocation sets its own.
            every = saved;
        }
    }

    /**
     * Restores the stateful listeners and the training step (after the trainer is created).
     *
     * @param checkpoint the checkpoint resumed from
     * @throws IOException if the step state cannot be read
     */
    void restoreListenersAndStep(Checkpoint checkpoint) throws IOException {
        List<String> states = checkpoint.getState().getListenerStates();
        if (states.size() != listeners.size()) {
            throw new IllegalStateException(
                    "checkpoint holds the state of "
                            + states.size()
                            + " stateful listeners but the run"
                            + " has "
                            + listeners.size()
                            + " (StatefulListener): resume with the listeners"
                            + " the run was started with");
        }
        for (int i = 0; i < listeners.size(); i++) {
            listeners.get(i).loadState(states.get(i));
        }
        NDList stepState = store.readStepState(checkpoint, spec.model.getNDManager());
        spec.trainingStep.loadState(stepState);
    }
}
