package io.github.moge.core.training;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;

/**
 * Thrown when a training step produced a non-finite loss or gradient norm and skipping is off. No
 * update was applied for that step and no checkpoint was written after it, so the last checkpoint
 * is the last good state. The message names the step, its position, the loss and every component,
 * and the gradient norm.
 */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The step that diverged. */
    private final long step;

    /** The step's loss. */
    private final float loss;

    private final transient Map<String, Float> components;

    /** The step's global gradient norm. */
    private final float gradientNorm;

    private final transient Path lastCheckpoint;

    TrainingDivergedException(
            String message,
            long step,
            float loss,
            Map<String, Float> components,
            float gradientNorm,
            Path lastCheckpoint) {
        super(message);
        this.step = step;
        this.loss = loss;
        this.components = Collections.unmodifiableMap(components);
        this.gradientNorm = gradientNorm;
        this.lastCheckpoint = lastCheckpoint;
    }

    /** {@return the global step that diverged} */
    public long getStep() {
        return step;
    }

    /** {@return the loss of that step} */
    public float getLoss() {
        return loss;
    }

    /** {@return the loss components of that step by name} */
    public Map<String, Float> getComponents() {
        return components;
    }

    /** {@return the gradient norm of that step (NaN if it could not be computed)} */
    public float getGradientNorm() {
        return gradientNorm;
    }

    /** {@return the last checkpoint on disk, or null if none was written yet} */
    public Path getLastCheckpoint() {
        return lastCheckpoint;
    }
}
