package io.github.moge.examples.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.github.moge.examples.MogeCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code moge doctor} on this CPU: versions, devices, the CPU checks, and what it skipped. */
class DoctorCommandTest {

    @Test
    void runsTheCpuChecksAndNamesTheSkippedComparisons() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                MogeCli.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                        .execute("doctor");
        String printed = out.toString();
        assertEquals(0, code, printed + err);
        assertTrue(printed.contains("Java " + System.getProperty("java.version")), printed);
        assertTrue(printed.contains("DJL 0.25.0, PyTorch 2.0.1, native flavour cpu"), printed);
        assertTrue(printed.contains("Devices the engine reports: cpu"), printed);
        assertTrue(printed.contains("Tolerance: per array, max |device - cpu| <= 1e-03"), printed);
        for (String check : new String[] {"MoGE layer", "ViT-MoGE step", "SMoGE step"}) {
            assertTrue(printed.matches("(?s).*" + check + " +cpu +ok, finite.*"), printed);
        }
        assertTrue(printed.contains("Skipped: the comparisons of every GPU with the CPU"), printed);
        assertTrue(printed.contains("All checks passed."), printed);
    }

    @Test
    void twoRunsOnTheCpuAgreeAndADifferenceBeyondTheToleranceIsNamed() {
        DeviceCheck layer = DoctorCommand.checks().get(0);
        Map<String, float[]> first = layer.run(Device.cpu());
        assertNull(DoctorCommand.compare(first, layer.run(Device.cpu())));
        assertTrue(
                first.containsKey("loss") && first.containsKey("output"), first.keySet()::toString);
        assertTrue(first.keySet().stream().anyMatch(k -> k.startsWith("grad ")));
        Map<String, float[]> off = new LinkedHashMap<>(first);
        float[] loss = first.get("loss").clone();
        loss[0] += 1e-2f * Math.abs(loss[0]) + 1e-3f;
        off.put("loss", loss);
        String difference = DoctorCommand.compare(first, off);
        assertTrue(difference != null && difference.startsWith("loss differs"), difference);
    }
}
