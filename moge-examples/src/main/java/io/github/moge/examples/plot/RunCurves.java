package io.github.moge.examples.plot;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The learning curves of one training run, read from its {@code metrics.csv} (one row per step) and
 * {@code epochs.csv} (one row per epoch): every per-step column as a series over the step, and
 * every epoch column as a series over the step the epoch ended at. Empty and non-numeric cells are
 * left out, so a run killed mid-epoch still gives its curves up to the last written row.
 */
public final class RunCurves {

    /** The per-step file a run directory holds. */
    public static final String METRICS_FILE = "metrics.csv";

    /** The per-epoch file a run directory holds. */
    public static final String EPOCHS_FILE = "epochs.csv";

    private static final CSVFormat CSV =
            CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();

    private final String label;
    private final Map<String, Series> steps;
    private final Map<String, Series> epochs;

    private RunCurves(String label, Map<String, Series> steps, Map<String, Series> epochs) {
        this.label = label;
        this.steps = steps;
        this.epochs = epochs;
    }

    /**
     * One curve: x (the step) and y, of equal length.
     *
     * @param x the steps
     * @param y the values
     */
    public record Series(double[] x, double[] y) {

        /** {@return the number of points} */
        public int size() {
            return x.length;
        }

        /**
         * Returns the series averaged over consecutive bins so that at most {@code points} remain,
         * each at its bin's mean step: a readable curve of a noisy per-step metric.
         *
         * @param points the largest number of points, &gt;= 1
         * @return the binned series (this one when it is short enough)
         */
        public Series binned(int points) {
            int n = x.length;
            if (n <= points) {
                return this;
            }
            double[] bx = new double[points];
            double[] by = new double[points];
            for (int b = 0; b < points; b++) {
                int from = (int) ((long) b * n / points);
                int to = (int) ((long) (b + 1) * n / points);
                double sx = 0;
                double sy = 0;
                for (int i = from; i < to; i++) {
                    sx += x[i];
                    sy += y[i];
                }
                bx[b] = sx / (to - from);
                by[b] = sy / (to - from);
            }
            return new Series(bx, by);
        }
    }

    /**
     * Reads a run directory.
     *
     * @param runDirectory a directory with {@code metrics.csv} (and usually {@code epochs.csv})
     * @param label the name of the run in legends
     * @return the curves
     * @throws IOException if {@code metrics.csv} is missing or unreadable
     */
    public static RunCurves read(Path runDirectory, String label) throws IOException {
        Path metrics = runDirectory.resolve(METRICS_FILE);
        if (!Files.isRegularFile(metrics)) {
            throw new IOException(
                    runDirectory
                            + " holds no "
                            + METRICS_FILE
                            + ": give the directory of a training run (its --output, or"
                            + " train-moe/ and train-moge/ of an invariance run)");
        }
        Map<String, Series> steps = columns(metrics, "step");
        Path epochFile = runDirectory.resolve(EPOCHS_FILE);
        Map<String, Series> epochs =
                Files.isRegularFile(epochFile) ? columns(epochFile, "step") : Map.of();
        return new RunCurves(label, steps, epochs);
    }

    /** {@return the name of the run in legends} */
    public String getLabel() {
        return label;
    }

    /** {@return the per-step series by column name, in file order, without empty columns} */
    public Map<String, Series> getSteps() {
        return steps;
    }

    /** {@return the per-epoch series by column name, in file order, without empty columns} */
    public Map<String, Series> getEpochs() {
        return epochs;
    }

    private static Map<String, Series> columns(Path file, String xColumn) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                CSVParser csv = CSV.parse(in)) {
            List<String> names = csv.getHeaderNames();
            if (!names.contains(xColumn)) {
                throw new IOException(file + " has no " + xColumn + " column: not a run's log");
            }
            Map<String, List<double[]>> points = new LinkedHashMap<>();
            for (String name : names) {
                if (!name.equals(xColumn)) {
                    points.put(name, new ArrayList<>());
                }
            }
            for (CSVRecord row : csv) {
                if (!row.isConsistent()) {
                    continue; // a torn last row of a killed run
                }
                double x = parse(row.get(xColumn));
                if (Double.isNaN(x)) {
                    continue;
                }
                for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
                    double y = parse(row.get(e.getKey()));
                    if (Double.isFinite(y)) {
                        e.getValue().add(new double[] {x, y});
                    }
                }
            }
            Map<String, Series> out = new LinkedHashMap<>();
            for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
                List<double[]> p = e.getValue();
                if (p.isEmpty()) {
                    continue;
                }
                double[] x = new double[p.size()];
                double[] y = new double[p.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = p.get(i)[0];
                    y[i] = p.get(i)[1];
                }
                out.put(e.getKey(), new Series(x, y));
            }
            return out;
        }
    }

    private static double parse(String cell) {
        if (cell == null || cell.isEmpty()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(cell.trim().toLowerCase(Locale.ROOT));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
