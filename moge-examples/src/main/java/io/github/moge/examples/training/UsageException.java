package io.github.moge.examples.training;

/**
 * A usage problem found after parsing (a path that does not exist, an existing result): the {@code
 * moge} command line prints its one-line message, no stack trace, and exits with code 2.
 */
public final class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a one-line message
     */
    public UsageException(String message) {
        super(message);
    }
}
