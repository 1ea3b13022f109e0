package io.github.moge.core.training.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a reader sees either the old content or the complete new one: write a
 * temporary file in the same directory, force it to disk, then rename it over the target.
 */
public final class AtomicFiles {

    /** Something that writes the content of a file. */
    public interface Writer {
        /**
         * Writes the whole content.
         *
         * @param out the new file's stream, closed afterwards by the caller
         * @throws IOException if writing fails
         */
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Writes a file atomically.
     *
     * @param target the file
     * @param writer writes the content
     * @throws IOException if writing fails; the target is then untouched
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = newTemporaryFile(dir, target.getFileName().toString());
        try {
            writeSynced(temp, writer);
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(dir);
    }

    /**
     * Creates an empty hidden file next to the target. Unlike {@link Files#createTempFile}, which
     * makes it readable by the owner only, the file gets the mode of any new file (0644 under the
     * usual umask), and so does the target it is renamed to.
     */
    private static Path newTemporaryFile(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            long suffix = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
            Path temp = dir.resolve("." + name + "." + suffix + ".tmp");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Writes a new file and forces it to disk (no rename: for files inside a temporary directory).
     */
    static void writeSynced(Path file, Writer writer) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            writer.write(out);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Renames atomically (within one file system). */
    static void move(Path source, Path target) throws IOException {
        try {
            Files.move(
                    source,
                    target,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "cannot rename "
                            + source
                            + " to "
                            + target
                            + " atomically; keep the run directory on"
                            + " one local file system",
                    e);
        }
    }

    /** Forces a directory's entries to disk, where the platform allows it. */
    static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can open a directory; the rename itself is still atomic.
        }
    }
}
