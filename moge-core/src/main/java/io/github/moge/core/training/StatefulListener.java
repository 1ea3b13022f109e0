package io.github.moge.core.training;

import ai.djl.training.listener.TrainingListener;

/**
 * A training listener with state a resumed run must restore, e.g. the position of a schedule it
 * advances per batch. {@link TrainingRun} saves the state of every such listener added with {@link
 * TrainingRun.Builder#addListener} into each checkpoint ({@code state.json}, in the order they were
 * added) and, on resume, hands it back through {@link #loadState} after the trainer has been
 * created and before the first resumed step.
 */
public interface StatefulListener extends TrainingListener {

    /**
     * Returns the state to checkpoint, as a short text (e.g. a step count in decimal).
     *
     * @return the state
     */
    String saveState();

    /**
     * Restores a state returned by {@link #saveState()}.
     *
     * @param state the saved state
     * @throws IllegalArgumentException if it is not a state of this listener
     */
    void loadState(String state);
}
