package io.github.moge.examples.training;

import io.github.moge.core.training.TrainingDivergedException;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The one report every training command prints when a run stops on a non-finite step: what stopped
 * it and how to continue, never a stack trace.
 */
public final class DivergenceReport {

    private DivergenceReport() {}

    /**
     * Prints the stop and the resume hint.
     *
     * @param err where the report goes
     * @param command the command's name, e.g. {@code train-vision}
     * @param e the divergence
     * @param runDirectory the directory to give to {@code --resume}
     * @return the exit code of a failed run, 1
     */
    public static int print(
            PrintWriter err, String command, TrainingDivergedException e, Path runDirectory) {
        err.println(command + ": training stopped: " + e.getMessage());
        err.println(
                "No update was applied for that step. "
                        + (e.getLastCheckpoint() == null
                                ? "No checkpoint was written yet: start again (another --seed)"
                                        + " or lower --lr."
                                : "Continue from the last checkpoint "
                                        + e.getLastCheckpoint().getFileName()
                                        + " with: moge "
                                        + command
                                        + " --resume "
                                        + runDirectory
                                        + " --skip-non-finite"));
        err.flush();
        return 1;
    }
}
