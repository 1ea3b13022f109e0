package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.testing.RunFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test: a training process killed with SIGKILL mid-epoch and resumed (in a
 * new process) from its last checkpoint produces the same per-step losses as the uninterrupted run,
 * bitwise.
 */
class SigkillResumeTest {

    @TempDir Path temp;

    static Process fork(Path dir, String mode, long hangAfter) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder =
                new ProcessBuilder(
                        java,
                        "-Doffline=true",
                        "-Xmx1g",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ForkedTrainingMain.class.getName(),
                        dir.toString(),
                        mode,
                        Long.toString(hangAfter));
        builder.environment().put("OPT_OUT_TRACKING", "true");
        builder.redirectErrorStream(true);
        return builder.start();
    }

    /**
     * Reads the child's output until a line equal to {@code until} (or the end), returning all
     * lines.
     */
    static List<String> readUntil(Process process, String until) throws IOException {
        List<String> lines = new ArrayList<>();
        BufferedReader reader =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            lines.add(line);
            if (line.equals(until)) {
                break;
            }
        }
        return lines;
    }

    @Test
    void sigkilledProcessResumesBitwise() throws Exception {
        Path straight = temp.resolve("straight");
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.build().run(straight);
        }
        List<String> expected = RunFiles.stepRows(straight);

        Path killed = temp.resolve("killed");
        Process first = fork(killed, "run", 9);
        List<String> output = readUntil(first, "step 9");
        assertTrue(output.contains("step 9"), String.join("\n", output));
        first.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no final checkpoint
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, first.exitValue());

        Process second = fork(killed, "resume", -1);
        List<String> resumed = readUntil(second, null);
        assertTrue(second.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, second.exitValue(), String.join("\n", resumed));
        assertTrue(resumed.contains("step 8"), String.join("\n", resumed));
        assertTrue(!resumed.contains("step 7"), String.join("\n", resumed));
        assertTrue(resumed.contains("done 8 18"), String.join("\n", resumed));

        assertEquals(expected, RunFiles.stepRows(killed));
    }
}
