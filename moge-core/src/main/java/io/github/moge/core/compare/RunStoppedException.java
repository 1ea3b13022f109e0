package io.github.moge.core.compare;

/**
 * Thrown by a run of a comparison that stopped before its end on request (a signal, a time budget)
 * and kept a checkpoint: the {@link ComparisonRunner} then starts no further runs, lets the ones in
 * progress end, and throws {@link ComparisonStoppedException}. A later invocation resumes the
 * stopped run and starts the rest. Any other exception is a failure, after which the other runs go
 * on.
 */
public final class RunStoppedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What asked for the stop. */
    private final String reason;

    /**
     * Creates the exception.
     *
     * @param message what stopped and where its checkpoint is
     * @param reason what asked for the stop, e.g. {@code SIGTERM}
     */
    public RunStoppedException(String message, String reason) {
        super(message);
        this.reason = reason;
    }

    /** {@return what asked for the stop, e.g. {@code SIGTERM}} */
    public String getReason() {
        return reason;
    }
}
