package io.github.moge.lm.data;

import java.io.IOException;

/**
 * Signals that a corpus file is malformed: bytes that are not its encoding, a token that is not of
 * its format, an empty file, or a file that differs from the known release.
 *
 * <p>It is an {@link IOException}, so callers that already handle I/O failures handle it too. The
 * message names the file (and where known the byte offset) and the problem, so it can be shown to a
 * user as is.
 */
public class CorpusException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the file and the problem.
     *
     * @param message the detail message
     */
    public CorpusException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message the detail message
     * @param cause the underlying failure
     */
    public CorpusException(String message, Throwable cause) {
        super(message, cause);
    }
}
