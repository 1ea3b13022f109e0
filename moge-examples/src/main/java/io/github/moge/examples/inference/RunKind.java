package io.github.moge.examples.inference;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.github.moge.core.training.DeviceNames;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.CommandSettings;
import io.github.moge.examples.training.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which training command wrote a run directory: what {@code predict} and {@code evaluate} load. */
enum RunKind {
    VISION,
    LM;

    /**
     * Reads the command a run directory's {@code config.json} names.
     *
     * @param run the run directory
     * @return the kind
     * @throws UsageException if it is no run directory or no run these commands can load
     * @throws IOException if {@code config.json} cannot be read
     */
    static RunKind of(Path run) throws IOException {
        if (!Files.isRegularFile(run.resolve(RunConfiguration.FILE_NAME))) {
            throw new UsageException(
                    "--run "
                            + run
                            + " holds no run ("
                            + RunConfiguration.FILE_NAME
                            + " is missing): give the --output directory of a train-vision or"
                            + " train-lm run");
        }
        String command = RunConfiguration.read(run).getString(CommandSettings.COMMAND_KEY);
        if ("train-vision".equals(command)) {
            return VISION;
        }
        if ("train-lm".equals(command)) {
            return LM;
        }
        throw new UsageException(
                "--run "
                        + run
                        + " was written by "
                        + (command == null ? "an unknown command" : "'moge " + command + "'")
                        + "; predict and evaluate load train-vision and train-lm runs"
                        + ("invariance".equals(command)
                                ? " (an invariance run reports in invariance.md)"
                                : ""));
    }

    /**
     * Returns the device a {@code --device} name means.
     *
     * @param name {@code cpu}, {@code gpuN}, or null for the engine's default device
     * @return the device
     * @throws UsageException if the name is not one device of this machine
     */
    static Device device(String name) {
        if (name == null) {
            return Engine.getInstance().defaultDevice();
        }
        Device[] devices;
        try {
            devices = DeviceNames.parse(name, Engine.getInstance().getDevices());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--device: " + e.getMessage());
        }
        if (devices.length != 1) {
            throw new UsageException("--device " + name + ": give one device, e.g. cpu or gpu0");
        }
        return devices[0];
    }
}
