package io.github.moge.core.training;

import io.github.moge.core.training.log.StepRecord;
import java.util.function.LongSupplier;

/**
 * A wall-time budget for one invocation of a run: after the first step that ends with the budget
 * spent it asks the run to stop ({@link TrainingRun#requestStop()}), which writes a checkpoint, so
 * the run can be continued with {@code --resume} (with a new budget or none). The time counts from
 * the creation of the budget and includes validation and checkpoints.
 */
public final class TimeBudget implements StepListener {

    private final long budgetNanos;
    private final LongSupplier clock;
    private final long start;
    private TrainingRun run;
    private boolean spent;

    /**
     * Creates a budget that starts now.
     *
     * @param seconds the wall time, &gt; 0
     */
    public TimeBudget(double seconds) {
        this(seconds, System::nanoTime);
    }

    /**
     * Creates a budget that starts now on a given clock.
     *
     * @param seconds the wall time, &gt; 0
     * @param clock nanoseconds, e.g. {@code System::nanoTime}
     */
    public TimeBudget(double seconds, LongSupplier clock) {
        if (!(seconds > 0)) {
            throw new IllegalArgumentException(
                    "the time budget must be > 0 seconds, got " + seconds);
        }
        this.budgetNanos = (long) Math.min(Long.MAX_VALUE / 2.0, seconds * 1e9);
        this.clock = clock;
        this.start = clock.getAsLong();
    }

    /**
     * Sets the run to stop (the run is built after its listeners are added).
     *
     * @param run the run this budget is a listener of
     */
    public void setRun(TrainingRun run) {
        this.run = run;
    }

    /** {@inheritDoc} */
    @Override
    public void onStep(StepRecord record) {
        if (!spent && clock.getAsLong() - start >= budgetNanos) {
            spent = true;
            if (run == null) {
                throw new IllegalStateException("TimeBudget.setRun was not called");
            }
            run.requestStop();
        }
    }

    /** {@return whether the budget was spent and a stop requested} */
    public boolean isSpent() {
        return spent;
    }
}
