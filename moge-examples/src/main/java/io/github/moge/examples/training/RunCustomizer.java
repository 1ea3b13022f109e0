package io.github.moge.examples.training;

import io.github.moge.core.training.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Options a command applies to each {@link TrainingRun.Builder} it creates, knowing the run
 * directory (a command may train several runs below one output); {@link
 * TrainingRunOptions#configure} is one.
 */
@FunctionalInterface
public interface RunCustomizer {

    /** Applies nothing. */
    RunCustomizer NONE = (builder, runDirectory) -> {};

    /**
     * Applies the options.
     *
     * @param builder the run's builder, before {@code build()}
     * @param runDirectory the run's directory
     * @throws IOException if a saved run configuration cannot be read
     */
    void apply(TrainingRun.Builder builder, Path runDirectory) throws IOException;
}
