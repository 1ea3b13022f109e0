package io.github.moge.examples.compare;

import io.github.moge.core.compare.ComparisonResult;
import io.github.moge.core.compare.Interval;
import io.github.moge.core.compare.MetricComparison;
import io.github.moge.core.compare.RunResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * Draws {@code compare.png} with XChart: on the left the paired difference (variant - baseline) of
 * every metric in percent of the baseline's mean, one dot per seed and the mean with its t
 * interval; on the right each run's learning curve.
 */
final class ComparisonFigure {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;

    private ComparisonFigure() {}

    /**
     * Writes the figure.
     *
     * @param result the comparison
     * @param file the PNG file
     * @throws IOException if writing fails
     */
    static void write(ComparisonResult result, Path file) throws IOException {
        List<Chart<?, ?>> charts = new ArrayList<>();
        charts.add(differences(result));
        XYChart curves = curves(result);
        if (curves != null) {
            charts.add(curves);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(charts, 1, charts.size(), out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static CategoryChart differences(ComparisonResult result) {
        List<MetricComparison> metrics = result.getMetrics();
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title(
                                result.getVariant()
                                        + " - "
                                        + result.getBaseline()
                                        + ": per seed, mean and t interval")
                        .xAxisTitle("metric")
                        .yAxisTitle("difference, % of the baseline mean")
                        .build();
        chart.getStyler()
                .setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter)
                .setOverlapped(true)
                .setLegendPosition(Styler.LegendPosition.OutsideS)
                .setMarkerSize(9);
        chart.getStyler().setXAxisLabelRotation(metrics.size() > 4 ? 45 : 0);
        List<String> names = new ArrayList<>();
        List<Double> mean = new ArrayList<>();
        List<Double> half = new ArrayList<>();
        List<List<Double>> perSeed = new ArrayList<>();
        for (int i = 0; i < result.getSeeds().size(); i++) {
            perSeed.add(new ArrayList<>());
        }
        for (MetricComparison c : metrics) {
            // Percent of the baseline's mean puts metrics of any scale on one axis.
            double scale = 100 / Math.abs(c.seeds().baselineMean());
            if (!Double.isFinite(scale)) {
                scale = 1;
            }
            String name = c.metric().name();
            names.add(name);
            for (int i = 0; i < result.getSeeds().size(); i++) {
                long seed = result.getSeeds().get(i);
                double b = result.getRun(seed, result.getBaseline()).getMetric(name);
                double v = result.getRun(seed, result.getVariant()).getMetric(name);
                perSeed.get(i).add(scale * (v - b));
            }
            Interval t = c.seeds().interval();
            mean.add(scale * t.estimate());
            half.add(scale * (t.upper() - t.estimate()));
        }
        chart.addSeries("mean, 95% t interval", names, mean, half);
        for (int i = 0; i < perSeed.size(); i++) {
            chart.addSeries("seed " + result.getSeeds().get(i), names, perSeed.get(i));
        }
        return chart;
    }

    private static XYChart curves(ComparisonResult result) {
        RunResult first = result.getRun(result.getSeeds().get(0), result.getBaseline());
        if (first.getCurveName() == null) {
            return null;
        }
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title("learning curves")
                        .xAxisTitle("epoch")
                        .yAxisTitle(first.getCurveName())
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        boolean any = false;
        for (String arm : result.getArms()) {
            for (long seed : result.getSeeds()) {
                double[] y = result.getRun(seed, arm).getCurve();
                if (y.length == 0) {
                    continue;
                }
                double[] x = new double[y.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i + 1;
                }
                chart.addSeries(arm + " seed " + seed, x, y)
                        .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                any = true;
            }
        }
        return any ? chart : null;
    }
}
