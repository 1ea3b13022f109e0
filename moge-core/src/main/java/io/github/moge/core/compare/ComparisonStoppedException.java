package io.github.moge.core.compare;

import java.util.List;

/**
 * A comparison stopped on request before all its runs finished: the finished runs are saved, the
 * stopped ones keep their checkpoints, and no report was written. A later invocation with the same
 * settings continues where it stopped.
 */
public final class ComparisonStoppedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What asked for the stop. */
    private final String reason;

    /** The runs without a result. */
    private final List<String> unfinished;

    /**
     * Creates the exception.
     *
     * @param reason what asked for the stop, e.g. {@code SIGTERM}
     * @param unfinished the runs without a result, as {@code "seed S ARM"}
     */
    public ComparisonStoppedException(String reason, List<String> unfinished) {
        super(
                "stopped by "
                        + reason
                        + " with "
                        + unfinished.size()
                        + " run(s) unfinished: "
                        + String.join(", ", unfinished));
        this.reason = reason;
        this.unfinished = List.copyOf(unfinished);
    }

    /** {@return what asked for the stop, e.g. {@code SIGTERM}} */
    public String getReason() {
        return reason;
    }

    /** {@return the runs without a result, as {@code "seed S ARM"}} */
    public List<String> getUnfinished() {
        return unfinished;
    }
}
