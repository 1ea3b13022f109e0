package io.github.moge.examples.plot;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws {@code curves.png} with XChart: four panels over the optimizer step for one run or several
 * overlaid (e.g. MoE and MoGE of one seed): the loss terms (log scale; per-step values averaged
 * into at most {@value #POINTS} points), the epoch-end evaluation (accuracy or perplexity), the
 * learning rate, and sigma of the group-sparse regularizer where the run logs it (otherwise the
 * gradient norm).
 */
public final class CurvesFigure {

    /** The file name a training run's figure gets in its run directory. */
    public static final String FILE_NAME = "curves.png";

    static final int POINTS = 400;
    private static final int WIDTH = 700;
    private static final int HEIGHT = 480;

    private CurvesFigure() {}

    /**
     * Writes the figure of one or more runs as a PNG.
     *
     * @param runs the runs, each with its label
     * @param file the PNG file
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if there is no run
     */
    public static void write(List<RunCurves> runs, Path file) throws IOException {
        List<Chart<?, ?>> charts = charts(runs);
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(charts, 2, 2, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /**
     * Writes a run directory's own {@code curves.png} from its logs, at the end of a training
     * command. A figure that cannot be drawn is reported in one line and does not fail the run,
     * whose results are already saved.
     *
     * @param runDirectory the run directory
     * @param log where the line naming the figure (or the reason there is none) goes
     */
    public static void writeFor(Path runDirectory, Consumer<String> log) {
        Path file = runDirectory.resolve(FILE_NAME);
        try {
            RunCurves curves = RunCurves.read(runDirectory, runDirectory.getFileName().toString());
            write(List.of(curves), file);
            log.accept("Learning curves: " + file);
        } catch (IOException | RuntimeException e) {
            log.accept("No " + FILE_NAME + " for " + runDirectory + ": " + e.getMessage());
        }
    }

    /**
     * Builds the four panels.
     *
     * @param runs the runs
     * @return the loss, evaluation, learning-rate and sigma (or gradient-norm) charts
     */
    static List<Chart<?, ?>> charts(List<RunCurves> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no run to plot");
        }
        boolean single = runs.size() == 1;
        XYChart losses = chart("Loss terms per step (log scale)", "loss", true);
        XYChart evaluation = chart("Evaluation at each epoch's end", "value", false);
        XYChart learningRate = chart("Learning rate", "learning rate", false);
        boolean sigma = runs.stream().anyMatch(r -> r.getSteps().containsKey("sigma"));
        XYChart last =
                sigma
                        ? chart("Sigma of the group-sparse regularizer", "sigma", false)
                        : chart("Gradient norm before clipping (log scale)", "norm", true);
        for (RunCurves run : runs) {
            add(losses, run, run.getSteps(), CurvesFigure::isLoss, single, true);
            add(evaluation, run, run.getEpochs(), CurvesFigure::isEvaluation, single, false);
            add(learningRate, run, run.getSteps(), "learning_rate"::equals, single, false);
            add(last, run, run.getSteps(), (sigma ? "sigma" : "grad_norm")::equals, single, !sigma);
        }
        List<Chart<?, ?>> charts = new ArrayList<>();
        for (XYChart c : List.of(losses, evaluation, learningRate, last)) {
            if (c.getSeriesMap().isEmpty()) {
                // XChart cannot draw an empty chart; say what is missing instead
                c.setTitle(c.getTitle() + ": not logged");
                c.getStyler().setYAxisLogarithmic(false);
                c.addSeries("none", new double[] {0}, new double[] {0})
                        .setMarker(SeriesMarkers.NONE);
            }
            charts.add(c);
        }
        return charts;
    }

    static boolean isLoss(String column) {
        return column.toLowerCase(Locale.ROOT).contains("loss");
    }

    static boolean isEvaluation(String column) {
        String c = column.toLowerCase(Locale.ROOT);
        return (c.startsWith("validation_") || c.startsWith("train_"))
                && !c.contains("loss")
                && !c.contains("max_tokens");
    }

    private static XYChart chart(String title, String yTitle, boolean log) {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title(title)
                        .xAxisTitle("optimizer step")
                        .yAxisTitle(yTitle)
                        .build();
        XYStyler styler = chart.getStyler();
        // below the plot, so no curve hides behind it
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Vertical);
        styler.setYAxisTickMarkSpacingHint(60);
        // binned steps are fractional; a learning rate needs an exponent
        styler.setXAxisDecimalPattern("#,###");
        if (!log) {
            styler.setYAxisDecimalPattern(yTitle.equals("learning rate") ? "0.0E0" : "#,##0.###");
        }
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setYAxisLogarithmic(log);
        chart.getStyler().setMarkerSize(4);
        return chart;
    }

    private static void add(
            XYChart chart,
            RunCurves run,
            Map<String, RunCurves.Series> columns,
            Predicate<String> wanted,
            boolean single,
            boolean log) {
        for (Map.Entry<String, RunCurves.Series> e : columns.entrySet()) {
            if (!wanted.test(e.getKey())) {
                continue;
            }
            RunCurves.Series s = e.getValue().binned(POINTS);
            if (log) {
                s = positive(s);
            }
            if (s.size() == 0) {
                continue; // e.g. a balance loss that is 0 throughout
            }
            String name = single ? e.getKey() : run.getLabel() + ": " + e.getKey();
            XYSeries series = chart.addSeries(name, s.x(), s.y());
            series.setMarker(s.size() > 30 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
    }

    private static RunCurves.Series positive(RunCurves.Series s) {
        int n = 0;
        for (double v : s.y()) {
            n += v > 0 ? 1 : 0;
        }
        double[] x = new double[n];
        double[] y = new double[n];
        int j = 0;
        for (int i = 0; i < s.size(); i++) {
            if (s.y()[i] > 0) {
                x[j] = s.x()[i];
                y[j++] = s.y()[i];
            }
        }
        return new RunCurves.Series(x, y);
    }
}
