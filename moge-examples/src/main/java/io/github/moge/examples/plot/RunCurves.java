package io.github.moge.examples.plot;

import io.github.moge.core.training.log.CsvLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
        // The project's own reader: a torn last row of a killed run is read as far as it goes.
        List<List<String>> rows = CsvLog.readAll(file);
        List<String> names = rows.isEmpty() ? List.of() : rows.get(0);
        int x = names.indexOf(xColumn);
        if (x < 0) {
            throw new IOException(file + " has no " + xColumn + " column: not a run's log");
        }
        Map<String, Series> out = new LinkedHashMap<>();
        for (int c = 0; c < names.size(); c++) {
            if (c == x) {
                continue;
            }
            List<double[]> points = new ArrayList<>();
            for (List<String> row : rows.subList(1, rows.size())) {
                // a torn row has fewer cells
                if (row.size() == names.size()) {
                    double step = parse(row.get(x));
                    double y = parse(row.get(c));
                    if (!Double.isNaN(step) && Double.isFinite(y)) {
                        points.add(new double[] {step, y});
                    }
                }
            }
            if (!points.isEmpty()) {
                double[] xs = new double[points.size()];
                double[] ys = new double[points.size()];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = points.get(i)[0];
                    ys[i] = points.get(i)[1];
                }
                out.put(names.get(c), new Series(xs, ys));
            }
        }
        return out;
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
