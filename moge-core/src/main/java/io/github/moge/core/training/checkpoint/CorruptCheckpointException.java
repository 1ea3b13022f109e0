package io.github.moge.core.training.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint failed verification (missing file, checksum mismatch, unreadable state) and was
 * refused.
 */
public final class CorruptCheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path checkpoint;

    /**
     * Creates the exception.
     *
     * @param checkpoint the refused checkpoint directory
     * @param message what is wrong and what to do
     */
    public CorruptCheckpointException(Path checkpoint, String message) {
        super(message);
        this.checkpoint = checkpoint;
    }

    /** {@return the refused checkpoint directory} */
    public Path getCheckpoint() {
        return checkpoint;
    }
}
