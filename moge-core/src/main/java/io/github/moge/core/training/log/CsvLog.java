package io.github.moge.core.training.log;

import io.github.moge.core.training.checkpoint.AtomicFiles;
import java.io.Closeable;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * An append-only CSV file of numbered rows (per step or per epoch). On resume the rows at or past
 * the resumed position, written by the interrupted process after its last checkpoint, are dropped
 * (atomic rewrite) so every row appears once. A file that lacks columns a newer version added (a
 * step diagnostic's) is rewritten with those cells empty; a file with other columns belongs to
 * another run and is refused.
 *
 * <p>Rows are written and read with Apache Commons CSV ({@link #FORMAT}): values are separated by
 * commas, rows end with {@code \n}, and a value is quoted only where CSV needs it (a comma, quote
 * or line break), so numeric rows are plain {@code 1,0,1,2.3025851}.
 */
public final class CsvLog implements Closeable {

    /** The format of the run's CSV files, for writing and reading. */
    public static final CSVFormat FORMAT =
            CSVFormat.DEFAULT.builder().setRecordSeparator('\n').build();

    private final CSVPrinter printer;
    private final int columns;

    private CsvLog(CSVPrinter printer, int columns) {
        this.printer = printer;
        this.columns = columns;
    }

    /**
     * Opens a log, keeping only rows whose first column is below {@code keepBelow}.
     *
     * @param file the CSV file
     * @param header the column names
     * @param keepBelow rows numbered at or above this are dropped
     * @return the log, positioned at the end
     * @throws IOException if the file holds other columns or cannot be written
     */
    public static CsvLog open(Path file, List<String> header, long keepBelow) throws IOException {
        return open(file, header, keepBelow, Set.of());
    }

    /**
     * Opens a log as {@link #open(Path, List, long)} does, accepting a file that lacks some of the
     * {@code addable} columns (written before they existed): its rows are kept with those cells
     * empty.
     *
     * @param file the CSV file
     * @param header the column names
     * @param keepBelow rows numbered at or above this are dropped
     * @param addable columns of {@code header} an existing file may lack
     * @return the log, positioned at the end
     * @throws IOException if the file holds columns this log does not write, lacks one that is not
     *     addable, or cannot be written
     */
    public static CsvLog open(Path file, List<String> header, long keepBelow, Set<String> addable)
            throws IOException {
        if (Files.exists(file)) {
            String existing = Files.readString(file, StandardCharsets.UTF_8);
            List<List<String>> rows = parse(existing);
            List<String> existingHeader = rows.isEmpty() ? List.of() : rows.get(0);
            boolean compatible =
                    !rows.isEmpty()
                            && header.containsAll(existingHeader)
                            && header.stream()
                                    .allMatch(
                                            c -> existingHeader.contains(c) || addable.contains(c));
            if (!compatible) {
                throw new IOException(
                        file
                                + " has other columns than this run writes ("
                                + FORMAT.format(header.toArray())
                                + "): it belongs to another run; choose a new output directory");
            }
            // A log written before columns were added (a newer version's diagnostic) keeps its
            // rows,
            // each value under its column's name and the new columns empty.
            int[] from = new int[header.size()];
            for (int c = 0; c < from.length; c++) {
                from[c] = existingHeader.indexOf(header.get(c));
            }
            StringBuilder kept = new StringBuilder();
            try (CSVPrinter out = new CSVPrinter(kept, FORMAT)) {
                out.printRecord(header);
                for (List<String> row : rows.subList(1, rows.size())) {
                    if (numberedBelow(row, keepBelow) && row.size() == existingHeader.size()) {
                        List<String> mapped = new ArrayList<>(from.length);
                        for (int index : from) {
                            mapped.add(index < 0 ? "" : row.get(index));
                        }
                        out.printRecord(mapped);
                    }
                }
            }
            String content = kept.toString();
            if (!content.equals(existing)) {
                AtomicFiles.write(file, o -> o.write(content.getBytes(StandardCharsets.UTF_8)));
            }
        } else {
            String headerLine = FORMAT.format(header.toArray()) + "\n";
            AtomicFiles.write(file, o -> o.write(headerLine.getBytes(StandardCharsets.UTF_8)));
        }
        CSVPrinter printer =
                new CSVPrinter(
                        Files.newBufferedWriter(
                                file,
                                StandardCharsets.UTF_8,
                                StandardOpenOption.APPEND,
                                StandardOpenOption.WRITE),
                        FORMAT);
        return new CsvLog(printer, header.size());
    }

    /**
     * Reads every row of a CSV file, the header first. A torn last row (from a killed process) is
     * read as far as it goes; text that is not CSV at all ends the rows there.
     *
     * @param file the file
     * @return the rows, empty if the file is empty
     * @throws IOException if the file cannot be read
     */
    public static List<List<String>> readAll(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    private static List<List<String>> parse(String text) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        try (CSVParser parser = FORMAT.parse(new StringReader(text))) {
            Iterator<CSVRecord> records = parser.iterator();
            while (records.hasNext()) {
                rows.add(records.next().toList());
            }
        } catch (UncheckedIOException | IllegalStateException e) {
            // Malformed text, only possible in a torn last row: keep what came before it.
        }
        return rows;
    }

    /**
     * A complete-looking row (number, comma, ...) whose number is below the limit; a torn one is
     * not.
     */
    private static boolean numberedBelow(List<String> row, long keepBelow) {
        if (row.size() < 2) {
            return false;
        }
        try {
            return Long.parseLong(row.get(0)) < keepBelow;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Appends one row (buffered until {@link #flush()}).
     *
     * @param values one value per column
     * @throws IOException if writing fails
     */
    public void append(List<String> values) throws IOException {
        if (values.size() != columns) {
            throw new IllegalArgumentException(
                    values.size() + " values for " + columns + " columns");
        }
        printer.printRecord(values);
    }

    /**
     * Writes the buffered rows to the file.
     *
     * @throws IOException if writing fails
     */
    public void flush() throws IOException {
        printer.flush();
    }

    @Override
    public void close() throws IOException {
        printer.close();
    }
}
