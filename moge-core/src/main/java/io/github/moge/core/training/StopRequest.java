package io.github.moge.core.training;

/**
 * A request from outside the training loop to stop after the current step with a checkpoint, as
 * {@link TrainingRun#requestStop()} and {@link TimeBudget} do. The loop polls it between steps; it
 * knows nothing of where the request comes from (a command line sets it from its SIGINT/SIGTERM
 * handler). Once requested it stays requested, so one object can be given to several runs trained
 * one after the other: each stops after its first step. Thread-safe.
 */
public final class StopRequest {

    private volatile String reason;

    /**
     * Requests the stop; later requests keep the first reason.
     *
     * @param why what asked for it, e.g. {@code SIGTERM}, for messages
     */
    public synchronized void request(String why) {
        if (reason == null) {
            reason = why == null ? "request" : why;
        }
    }

    /** {@return whether a stop was requested} */
    public boolean isRequested() {
        return reason != null;
    }

    /** {@return what asked for the stop, or null if none was requested} */
    public String getReason() {
        return reason;
    }
}
