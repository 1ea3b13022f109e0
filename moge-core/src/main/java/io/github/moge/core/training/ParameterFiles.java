package io.github.moge.core.training;

import ai.djl.Model;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a model's parameters in DJL's format ({@code PREFIX-0000.params}, what {@code
 * Model.load(directory, PREFIX)} reads) so that a crash leaves the previous file or the new one,
 * never a torn one: {@code Model.save} writes into a hidden directory beside the target, the file
 * is forced to disk and renamed over the old one.
 */
final class ParameterFiles {

    private ParameterFiles() {}

    /** Returns the file {@link #save} writes for a prefix: {@code PREFIX-0000.params}. */
    static String fileName(String prefix) {
        return prefix + "-0000.params";
    }

    /**
     * Returns the name prefix of the hidden directories {@link #save} works in; a process killed
     * while saving leaves one behind.
     */
    static String temporaryPrefix(String prefix) {
        return "." + prefix + ".tmp-";
    }

    /**
     * Saves the model's parameters as {@code directory/PREFIX-0000.params}.
     *
     * @param model the model
     * @param directory the directory (created if absent)
     * @param prefix the file name prefix
     * @throws IOException if writing fails
     */
    static void save(Model model, Path directory, String prefix) throws IOException {
        Files.createDirectories(directory);
        Path temp = directory.resolve(temporaryPrefix(prefix) + System.nanoTime());
        Files.createDirectories(temp);
        try {
            model.save(temp, prefix);
            Path saved;
            try (Stream<Path> files = Files.list(temp)) {
                saved =
                        files.filter(p -> p.getFileName().toString().endsWith(".params"))
                                .findFirst()
                                .orElseThrow(
                                        () ->
                                                new IOException(
                                                        "Model.save wrote no parameters in "
                                                                + temp));
            }
            try (FileChannel channel = FileChannel.open(saved, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(
                    saved,
                    directory.resolve(fileName(prefix)),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            deleteTree(temp);
        }
    }

    /**
     * Deletes a directory and everything in it, if it exists.
     *
     * @param dir the directory
     * @throws IOException if a file cannot be deleted
     */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
