package io.github.moge.core.training;

import io.github.moge.core.training.checkpoint.Checkpoint;
import io.github.moge.core.training.log.EpochRecord;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

/** What {@link TrainingRun#run(Path)} or {@link TrainingRun#resume(Path)} did. */
public final class TrainingSummary {

    private final Path runDirectory;
    private final long startStep;
    private final long step;
    private final boolean completed;
    private final long skippedSteps;
    private final Checkpoint lastCheckpoint;
    private final List<EpochRecord> epochs;

    TrainingSummary(
            Path runDirectory,
            long startStep,
            long step,
            boolean completed,
            long skippedSteps,
            Checkpoint lastCheckpoint,
            List<EpochRecord> epochs) {
        this.runDirectory = runDirectory;
        this.startStep = startStep;
        this.step = step;
        this.completed = completed;
        this.skippedSteps = skippedSteps;
        this.lastCheckpoint = lastCheckpoint;
        this.epochs = Collections.unmodifiableList(epochs);
    }

    /** {@return the run directory} */
    public Path getRunDirectory() {
        return runDirectory;
    }

    /** {@return the global step this invocation started from (0 for a new run)} */
    public long getStartStep() {
        return startStep;
    }

    /** {@return the global step reached} */
    public long getStep() {
        return step;
    }

    /** {@return whether all epochs are done (false after {@link TrainingRun#requestStop()})} */
    public boolean isCompleted() {
        return completed;
    }

    /** {@return the number of skipped steps of the whole run} */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** {@return the last checkpoint written or resumed from, or null} */
    public Checkpoint getLastCheckpoint() {
        return lastCheckpoint;
    }

    /** {@return the epochs finished by this invocation} */
    public List<EpochRecord> getEpochs() {
        return epochs;
    }
}
