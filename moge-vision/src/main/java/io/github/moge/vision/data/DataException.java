package io.github.moge.vision.data;

import java.io.IOException;

/**
 * Signals that a dataset could not be found or that a data file is malformed.
 *
 * <p>It is an {@link IOException}, so callers that already handle I/O failures handle it too. The
 * message always names the file (or, for a missing dataset, every place that was searched) and the
 * problem, so it can be shown to a user as is.
 */
public class DataException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the file and the problem.
     *
     * @param message the detail message
     */
    public DataException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message the detail message
     * @param cause the underlying failure
     */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
