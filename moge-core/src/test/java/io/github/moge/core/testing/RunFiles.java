package io.github.moge.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The deterministic part of a run directory's logs, for comparing an interrupted-and-resumed run
 * with an uninterrupted one: every column except the last (wall time), which is the only field
 * allowed to differ.
 */
public final class RunFiles {

    private RunFiles() {}

    /**
     * Returns {@code metrics.csv} (one row per step, header first) without its wall-time column.
     *
     * @param run the run directory
     * @return the rows
     * @throws IOException if the file cannot be read
     */
    public static List<String> stepRows(Path run) throws IOException {
        return withoutLastColumn(run.resolve("metrics.csv"));
    }

    /**
     * Returns {@code epochs.csv} (one row per epoch, header first) without its seconds column.
     *
     * @param run the run directory
     * @return the rows
     * @throws IOException if the file cannot be read
     */
    public static List<String> epochRows(Path run) throws IOException {
        return withoutLastColumn(run.resolve("epochs.csv"));
    }

    private static List<String> withoutLastColumn(Path file) throws IOException {
        return Files.readAllLines(file).stream()
                .map(l -> l.substring(0, l.lastIndexOf(',')))
                .toList();
    }
}
