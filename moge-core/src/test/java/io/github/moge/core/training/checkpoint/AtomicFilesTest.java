package io.github.moge.core.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written atomically (config.json, metrics.csv, epochs.csv) get the mode of any other new
 * file, not the owner-only mode of a JDK temporary file, and leave no temporary file behind.
 */
class AtomicFilesTest {

    @Test
    void writtenFilesHaveTheModeOfAnyNewFile(@TempDir Path dir) throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Set<PosixFilePermission> usual =
                Files.getPosixFilePermissions(Files.createFile(dir.resolve("reference")));

        Path config = dir.resolve("config.json");
        AtomicFiles.write(config, out -> out.write("{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(usual, Files.getPosixFilePermissions(config));
        assertEquals("{}", Files.readString(config));

        AtomicFiles.write(config, out -> out.write("{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(usual, Files.getPosixFilePermissions(config));
        assertEquals("{\"a\":1}", Files.readString(config));

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("config.json", "reference"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
