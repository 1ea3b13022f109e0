package io.github.moge.examples.vision;

import static io.github.moge.examples.CliRun.moge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.vision.data.FashionMnistDataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-vision --resume} of a killed run: an edited {@code config.json} (a changed value, an
 * added key) is refused with one line naming the keys and both values, before any model is built;
 * restored, the run resumes and checkpoints at the steps of the first invocation without repeating
 * {@code --checkpoint-every}.
 */
class ResumeGuardsCommandTest {

    @TempDir Path dir;

    private static List<String> checkpoints(Path run) throws IOException {
        try (Stream<Path> list = Files.list(run.resolve("checkpoints"))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void editedConfigIsRefusedAndTheCadenceSurvivesResume() throws IOException {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        Path run = dir.resolve("run");
        String first =
                moge(
                        "train-vision",
                        "--preset",
                        "vit-moge-xs-fmnist",
                        "--train-limit",
                        "16",
                        "--test-limit",
                        "16",
                        "--epochs",
                        "2",
                        "--experts",
                        "9",
                        "--top-k",
                        "2",
                        "--batch-size",
                        "8",
                        "--checkpoint-every",
                        "1",
                        "--keep-checkpoints",
                        "10",
                        "--no-progress",
                        "--seed",
                        "3",
                        "--output",
                        run.toString());
        assertTrue(first.startsWith("0\n"), first);
        List<String> uninterrupted = checkpoints(run);
        assertEquals(
                List.of("step-00000001", "step-00000002", "step-00000003", "step-00000004"),
                uninterrupted);
        // "Killed" after step 1: its newer checkpoints were never written.
        for (String name : uninterrupted.subList(1, uninterrupted.size())) {
            try (Stream<Path> files = Files.walk(run.resolve("checkpoints").resolve(name))) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }

        Path config = run.resolve("config.json");
        String original = Files.readString(config, StandardCharsets.UTF_8);
        assertTrue(original.contains("\"experts\": 9"), original);
        Files.writeString(
                config,
                original.replace("\"experts\": 9", "\"experts\": 4"),
                StandardCharsets.UTF_8);
        String changed = moge("train-vision", "--resume", run.toString(), "--no-progress");
        assertFalse(changed.startsWith("0\n"), changed);
        assertTrue(
                changed.contains(
                        "config.json differs from the checkpoint's copy ("
                                + run.resolve("checkpoints")),
                changed);
        assertTrue(changed.contains("experts 4 (config.json) vs 9 (checkpoint)"), changed);
        assertTrue(changed.contains("restore the file or start a new run"), changed);
        assertFalse(changed.contains("\tat "), "no stack trace: " + changed);

        Files.writeString(
                config, original.replaceFirst("\\{", "{\n  \"extra\": 1,"), StandardCharsets.UTF_8);
        String added = moge("train-vision", "--resume", run.toString(), "--no-progress");
        assertFalse(added.startsWith("0\n"), added);
        assertTrue(added.contains("extra 1 (config.json) vs absent (checkpoint)"), added);
        assertFalse(added.contains("\tat "), "no stack trace: " + added);

        Files.writeString(config, original, StandardCharsets.UTF_8);
        // Retention is per invocation; the cadence is not repeated.
        String resumed =
                moge(
                        "train-vision",
                        "--resume",
                        run.toString(),
                        "--keep-checkpoints",
                        "10",
                        "--no-progress");
        assertTrue(resumed.startsWith("0\n") && resumed.contains("Resuming"), resumed);
        assertEquals(uninterrupted, checkpoints(run));
    }
}
