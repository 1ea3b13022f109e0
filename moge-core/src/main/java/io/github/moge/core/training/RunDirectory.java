package io.github.moge.core.training;

import io.github.moge.core.training.checkpoint.AtomicFiles;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The directory of a run: {@code config.json}, the run log and {@code checkpoints/}. A new run gets
 * a directory that can be written and holds no run yet; one that holds a run is never overwritten.
 */
final class RunDirectory {

    static final String CHECKPOINTS = "checkpoints";

    private RunDirectory() {}

    /**
     * Creates the directory of a new run and writes its configuration.
     *
     * @param directory the run directory
     * @param configuration the run configuration
     * @throws IllegalArgumentException if the directory cannot be created or written
     * @throws IOException if it already holds a run, or writing fails
     */
    static void create(Path directory, RunConfiguration configuration) throws IOException {
        requireWritable(directory);
        if (Files.exists(directory.resolve(RunConfiguration.FILE_NAME))
                || Files.exists(directory.resolve(CHECKPOINTS))) {
            throw new IOException(
                    "output directory "
                            + directory
                            + " already holds a run: resume it with --resume "
                            + directory
                            + ", or choose a new output directory");
        }
        Files.createDirectories(directory);
        byte[] config = configuration.toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(directory.resolve(RunConfiguration.FILE_NAME), out -> out.write(config));
    }

    /**
     * Returns the checkpoint store of a run.
     *
     * @param directory the run directory
     * @param keep how many checkpoints to keep
     * @return the store over {@code checkpoints/}
     */
    static CheckpointStore store(Path directory, int keep) {
        return new CheckpointStore(directory.resolve(CHECKPOINTS), keep);
    }

    /**
     * Requires that the directory exists and is writable, or can be created (its nearest existing
     * ancestor is a writable directory). Probes with a temporary file; nothing else is created.
     */
    private static void requireWritable(Path directory) {
        String option = "output directory";
        if (directory == null) {
            throw new IllegalArgumentException(
                    option + " is not set: give a directory for checkpoints and metrics");
        }
        Path probe = directory.toAbsolutePath();
        while (probe != null && !Files.exists(probe)) {
            probe = probe.getParent();
        }
        String fix = "; choose another " + option + " or fix the permissions";
        if (probe == null) {
            throw new IllegalArgumentException(
                    option + " " + directory + " has no existing parent directory" + fix);
        } else if (!Files.isDirectory(probe)) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "%s %s cannot be created: %s is a file, not a directory%s",
                            option,
                            directory,
                            probe,
                            fix));
        } else if (!canWrite(probe)) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "%s %s is not writable (%s refuses new files)%s",
                            option,
                            directory,
                            probe,
                            fix));
        }
    }

    private static boolean canWrite(Path dir) {
        try {
            Path file = Files.createTempFile(dir, ".moge-write-probe", ".tmp");
            Files.delete(file);
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
