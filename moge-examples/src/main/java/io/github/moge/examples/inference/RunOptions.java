package io.github.moge.examples.inference;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options {@code predict} and {@code evaluate} share: which run, its data, the device. */
final class RunOptions {

    @Option(
            names = "--run",
            required = true,
            paramLabel = "DIR",
            description = "The run directory (the --output of train-vision or train-lm).")
    Path run;

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description =
                    "Data directory to read the test split (vision) or the corpus (LM) from"
                            + " (default: the one the run recorded when it started).")
    Path data;

    @Option(
            names = "--device",
            paramLabel = "NAME",
            description = "cpu or gpuN (default: the engine's default device).")
    String device;
}
