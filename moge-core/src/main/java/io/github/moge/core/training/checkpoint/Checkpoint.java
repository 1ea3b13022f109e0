package io.github.moge.core.training.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint directory that passed verification, with its {@link TrainingState}. Obtained from
 * {@link CheckpointStore#verify(Path)} or {@link CheckpointStore#latest(boolean,
 * java.util.function.Consumer)}.
 *
 * <p>Layout of the directory ({@code step-00001234}):
 *
 * <pre>
 *   model-0000.params   parameters in DJL's format (Model.save / Model.load)
 *   optimizer.ndlist    optimizer state arrays (NDList encoding), described in state.json
 *   step.ndlist         the training step's own state, e.g. a carried memory (may hold no arrays)
 *   state.json          position of the run (TrainingState)
 *   config.json         the run configuration
 *   MANIFEST.sha256     SHA-256 of every file above (sha256sum format)
 * </pre>
 */
public final class Checkpoint {

    private final Path directory;
    private final TrainingState state;

    Checkpoint(Path directory, TrainingState state) {
        this.directory = directory;
        this.state = state;
    }

    /** {@return the checkpoint directory} */
    public Path getDirectory() {
        return directory;
    }

    /** {@return the run position stored in the checkpoint} */
    public TrainingState getState() {
        return state;
    }

    @Override
    public String toString() {
        return directory.toString();
    }
}
