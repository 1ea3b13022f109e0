package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.checkpoint.Manifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code config.json} records the devices a run started on; they do not define the run: a resume on
 * other devices says so and keeps the record, and a run recorded before devices were recorded
 * resumes as before.
 */
class RecordedDevicesTest {

    @TempDir Path temp;

    @Test
    void aResumeOnOtherDevicesSaysSoAndKeepsTheRecord() throws IOException {
        Path run = interruptedRun();
        String recorded = "\"devices\": \"cpu\"";
        assertTrue(Files.readString(run.resolve("config.json")).contains(recorded));
        editConfigurations(run, json -> json.replace(recorded, "\"devices\": \"gpu0,gpu1\""));
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.build().resume(run);
            assertTrue(
                    tiny.log().contains("Resuming on cpu; the run started on gpu0,gpu1"),
                    tiny.log());
        }
        // Every checkpoint written by the resume keeps the record, so a later resume agrees.
        for (Path config : configurations(run)) {
            assertTrue(Files.readString(config).contains("\"gpu0,gpu1\""), config.toString());
        }
    }

    @Test
    void aRunRecordedWithoutDevicesResumes() throws IOException {
        Path run = interruptedRun();
        editConfigurations(run, json -> json.replaceAll(",\\s*\"devices\": \"cpu\"", ""));
        assertFalse(Files.readString(run.resolve("config.json")).contains("devices"));
        try (TinyRun tiny = new TinyRun()) {
            TrainingSummary summary = tiny.builder.build().resume(run);
            assertTrue(summary.isCompleted());
            assertFalse(tiny.log().contains("Resuming on"), tiny.log());
        }
        for (Path config : configurations(run)) {
            assertFalse(Files.readString(config).contains("devices"), config.toString());
        }
    }

    private Path interruptedRun() throws IOException {
        Path run = temp.resolve("run");
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun training =
                    tiny.builder
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 9) {
                                            throw new IllegalStateException("kill");
                                        }
                                    })
                            .build();
            assertThrows(IllegalStateException.class, () -> training.run(run));
        }
        return run;
    }

    /** Edits config.json and every checkpoint's copy (rewriting the checkpoint's manifest). */
    private static void editConfigurations(Path run, UnaryOperator<String> edit)
            throws IOException {
        for (Path config : configurations(run)) {
            String json = Files.readString(config, StandardCharsets.UTF_8);
            String edited = edit.apply(json);
            assertTrue(!edited.equals(json), "nothing edited in " + config);
            Files.writeString(config, edited, StandardCharsets.UTF_8);
            if (!config.getParent().equals(run)) {
                Manifests.rewrite(config.getParent());
            }
        }
    }

    private static List<Path> configurations(Path run) throws IOException {
        try (Stream<Path> checkpoints = Files.list(run.resolve("checkpoints"))) {
            List<Path> out =
                    new java.util.ArrayList<>(
                            checkpoints
                                    .map(c -> c.resolve("config.json"))
                                    .filter(Files::isRegularFile)
                                    .toList());
            out.add(run.resolve("config.json"));
            assertTrue(out.size() > 1, "no checkpoint in " + run);
            return out;
        }
    }
}
