package io.github.moge.core.training.log;

import io.github.moge.core.training.checkpoint.AtomicFiles;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only CSV file of numbered rows (per step or per epoch). On resume the rows at or past the
 * resumed position, written by the interrupted process after its last checkpoint, are dropped (atomic
 * rewrite) so every row appears once.
 */
public final class CsvLog implements Closeable {

    private final BufferedWriter writer;
    private final int columns;

    private CsvLog(BufferedWriter writer, int columns) {
        this.writer = writer;
        this.columns = columns;
    }

    /**
     * Opens a log, keeping only rows whose first column is below {@code keepBelow}.
     *
     * @param file the CSV file
     * @param header the column names
     * @param keepBelow rows numbered at or above this are dropped
     * @return the log, positioned at the end
     */
    public static CsvLog open(Path file, List<String> header, long keepBelow) throws IOException {
        String headerLine = String.join(",", header);
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(headerLine)) {
                throw new IOException(
                        file + " has other columns than this run writes (" + headerLine + "): it belongs to"
                                + " another run; choose a new output directory");
            }
            List<String> kept = new ArrayList<>();
            kept.add(headerLine);
            for (String line : lines.subList(1, lines.size())) {
                int comma = line.indexOf(',');
                try {
                    if (comma > 0 && Long.parseLong(line.substring(0, comma)) < keepBelow) {
                        kept.add(line);
                    }
                } catch (NumberFormatException e) {
                    // A torn last line from a killed process: drop it.
                }
            }
            if (kept.size() != lines.size()) {
                String content = String.join("\n", kept) + "\n";
                AtomicFiles.write(file, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
            }
        } else {
            AtomicFiles.write(
                    file, out -> out.write((headerLine + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        BufferedWriter writer =
                Files.newBufferedWriter(
                        file, StandardCharsets.UTF_8, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        return new CsvLog(writer, header.size());
    }

    public void append(List<String> values) throws IOException {
        if (values.size() != columns) {
            throw new IllegalArgumentException(values.size() + " values for " + columns + " columns");
        }
        writer.write(String.join(",", values));
        writer.write('\n');
    }

    public void flush() throws IOException {
        writer.flush();
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
