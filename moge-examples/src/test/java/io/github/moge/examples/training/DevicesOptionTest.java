package io.github.moge.examples.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.github.moge.core.training.DeviceNames;
import io.github.moge.examples.MogeCli;
import io.github.moge.examples.invariance.InvarianceCommand;
import io.github.moge.examples.lm.TrainLmCommand;
import io.github.moge.examples.vision.TrainVisionCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --devices}: parsed against the devices the engine reports, refused before any compute when
 * it names one the engine does not have, and not run-defining (a resume may use others).
 */
class DevicesOptionTest {

    private static final Device[] CPU_ONLY = {Device.cpu()};
    private static final Device[] TWO_GPUS = {Device.gpu(0), Device.gpu(1)};

    @TempDir Path dir;

    @Test
    void namesAreParsedAgainstTheEnginesDevices() {
        assertArrayEquals(CPU_ONLY, DeviceNames.parse("cpu", CPU_ONLY));
        assertArrayEquals(CPU_ONLY, DeviceNames.parse("all", CPU_ONLY));
        assertArrayEquals(TWO_GPUS, DeviceNames.parse("all", TWO_GPUS));
        assertArrayEquals(TWO_GPUS, DeviceNames.parse("gpu0, gpu1", TWO_GPUS));
        assertArrayEquals(new Device[] {Device.gpu(1)}, DeviceNames.parse("gpu1", TWO_GPUS));
        assertArrayEquals(CPU_ONLY, DeviceNames.parse("cpu", TWO_GPUS));
        assertEquals("gpu0,gpu1", DeviceNames.format(TWO_GPUS));
        assertEquals("cpu", DeviceNames.format(CPU_ONLY));
    }

    @Test
    void unknownAbsentRepeatedAndMixedDevicesAreRefusedNamingTheEnginesDevices() {
        assertMessage("device gpu0 is not available: this engine reports cpu", "gpu0", CPU_ONLY);
        assertMessage(
                "device gpu2 is not available: this engine reports cpu,gpu0,gpu1",
                "gpu0,gpu2",
                TWO_GPUS);
        assertMessage("unknown device 'tpu0'", "tpu0", TWO_GPUS);
        assertMessage("unknown device ''", "gpu0,", TWO_GPUS);
        assertMessage("device gpu1 is given twice", "gpu1,gpu1", TWO_GPUS);
        assertMessage("mixes the CPU with GPUs", "cpu,gpu0", TWO_GPUS);
    }

    private static void assertMessage(String expected, String text, Device[] available) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> DeviceNames.parse(text, available));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void everyTrainingCommandRefusesADeviceTheEngineDoesNotReportBeforeCompute() {
        String reported = DeviceNames.format(ai.djl.engine.Engine.getInstance().getDevices());
        String[][] commands = {
            {"train-vision", "--preset", "vit-moge-xs-fmnist"}, {"invariance"}, {"train-lm"}
        };
        for (String[] args : commands) {
            String command = args[0];
            Path output = dir.resolve(command);
            List<String> line = new ArrayList<>(List.of(args));
            line.addAll(List.of("--devices", "gpu7", "--output", output.toString()));
            StringWriter err = new StringWriter();
            int code =
                    MogeCli.newCommandLine(
                                    new PrintWriter(new StringWriter(), true),
                                    new PrintWriter(err, true))
                            .execute(line.toArray(String[]::new));
            String message = err.toString();
            assertEquals(2, code, command + ": " + message);
            assertTrue(
                    message.contains(
                            "--devices gpu7: device gpu7 is not available: this engine reports "
                                    + reported),
                    command + ": " + message);
            assertFalse(message.contains("\tat "), "no stack trace: " + message);
            assertFalse(Files.exists(output), command + " created its run directory");
        }
    }

    @Test
    void devicesAreNotRunDefining() {
        for (Object command :
                new Object[] {
                    new TrainVisionCommand(), new InvarianceCommand(), new TrainLmCommand()
                }) {
            CommandLine cli = new CommandLine(command);
            OptionSpec devices = cli.getCommandSpec().findOption("--devices");
            assertTrue(devices != null, command.getClass().getSimpleName());
            assertFalse(
                    CommandSettings.runDefiningOptions(cli.getCommandSpec()).contains(devices),
                    command.getClass().getSimpleName());
        }
    }
}
