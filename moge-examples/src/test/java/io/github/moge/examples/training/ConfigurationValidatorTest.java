package io.github.moge.examples.training;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.TopographicMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each configuration error is one line that names the option and the fix. */
class ConfigurationValidatorTest {

    @TempDir Path temp;

    private static String single(ConfigurationValidator validator) {
        ConfigurationException e = assertThrows(ConfigurationException.class, validator::validate);
        assertEquals(1, e.getProblems().size(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void validConfigurationPasses() throws IOException {
        Path output = temp.resolve("new/run");
        ConfigurationValidator validator =
                new ConfigurationValidator()
                        .requireKnown("--preset", "vit-s", Set.of("vit-s", "swin-t"))
                        .requireMapFits("--experts", TopographicMap.forExperts(32), 3)
                        .requireTopK("--top-k", 2, "--experts", 32)
                        .requireBatchCoversDevices("--batch-size", 8, 2)
                        .requireDataPath("--data-dir", temp)
                        .requireWritableOutput("--output", output);
        assertEquals(List.of(), validator.getProblems());
        assertDoesNotThrow(validator::validate);
        // The output probe created nothing: the directory is made by the run, not by validation.
        assertFalse(Files.exists(temp.resolve("new")));
        assertEquals(List.of(), List.of(temp.toFile().list()));

        // The limits themselves are valid: k = E, k = 1, one sample per device, an existing output.
        ConfigurationValidator limits =
                new ConfigurationValidator()
                        .requireTopK("--top-k", 32, "--experts", 32)
                        .requireTopK("--top-k", 1, "--experts", 1)
                        .requireBatchCoversDevices("--batch-size", 2, 2)
                        .requireMapFits("--experts", TopographicMap.forExperts(9), 3)
                        .requireWritableOutput("--output", temp);
        assertEquals(List.of(), limits.getProblems());

        // The same validator still reports what is added after the valid checks, and only that.
        String m = single(validator.requireTopK("--top-k", 33, "--experts", 32));
        assertTrue(m.startsWith("--top-k 33 is not in 1..32 (--experts 32)"), m);
    }

    @Test
    void unknownPreset() {
        String m =
                single(
                        new ConfigurationValidator()
                                .requireKnown("--preset", "vit-xl", Set.of("vit-s", "swin-t")));
        assertEquals("unknown --preset 'vit-xl': choose one of swin-t, vit-s", m);
    }

    @Test
    void impossibleMapForFilter() {
        String m =
                single(
                        new ConfigurationValidator()
                                .requireMapFits("--experts", TopographicMap.forExperts(8), 3));
        assertTrue(
                m.startsWith(
                        "--experts: topographic map of E=8 experts is 2 x 4, which cannot hold a 3"
                                + " x 3"),
                m);
        assertTrue(m.contains("choose E with a factorisation"), m);
    }

    @Test
    void topKAboveExperts() {
        String m = single(new ConfigurationValidator().requireTopK("--top-k", 5, "--experts", 4));
        assertTrue(m.startsWith("--top-k 5 is not in 1..4 (--experts 4)"), m);
        assertTrue(m.contains("set --top-k to at most 4 or raise --experts"), m);
    }

    @Test
    void batchSmallerThanDevices() {
        String m =
                single(
                        new ConfigurationValidator()
                                .requireBatchCoversDevices("--batch-size", 2, 4));
        assertTrue(m.startsWith("--batch-size 2 is smaller than the 4 devices"), m);
        assertTrue(m.contains("set --batch-size to at least 4"), m);
    }

    @Test
    void missingData() {
        Path missing = temp.resolve("fashion-mnist");
        String m = single(new ConfigurationValidator().requireDataPath("--data-dir", missing));
        assertEquals(
                "--data-dir "
                        + missing
                        + " does not exist: point --data-dir at the downloaded dataset"
                        + " (see the command's --help)",
                m);
    }

    @Test
    void unwritableOutput() throws IOException {
        Path file = Files.createFile(temp.resolve("a-file"));
        String m =
                single(
                        new ConfigurationValidator()
                                .requireWritableOutput("--output", file.resolve("run")));
        assertTrue(m.contains("is a file, not a directory; choose another --output"), m);

        Path locked = Files.createDirectory(temp.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            boolean root = Files.isWritable(locked) && canCreate(locked);
            if (!root) { // root ignores permissions: nothing to check there
                String n =
                        single(
                                new ConfigurationValidator()
                                        .requireWritableOutput("--output", locked.resolve("run")));
                assertTrue(n.contains("is not writable"), n);
                assertTrue(n.contains("choose another --output or fix the permissions"), n);
            }
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        // Nothing was created by the checks.
        assertEquals(List.of(), List.of(locked.toFile().list()));
    }

    private static boolean canCreate(Path dir) {
        try {
            Files.delete(Files.createTempFile(dir, "x", ".tmp"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void allProblemsAreReportedTogether() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                new ConfigurationValidator()
                                        .requireKnown("--preset", "nope", Set.of("a"))
                                        .requireTopK("--top-k", 3, "--experts", 2)
                                        .check(false, "--epochs 0 must be >= 1: set --epochs")
                                        .validate());
        assertEquals(3, e.getProblems().size());
        assertEquals(3, e.getMessage().split(System.lineSeparator()).length);
    }
}
