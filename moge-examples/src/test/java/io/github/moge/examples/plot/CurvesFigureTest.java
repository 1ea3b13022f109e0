package io.github.moge.examples.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.examples.MogeCli;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Chart;

class CurvesFigureTest {

    @TempDir Path temp;

    /**
     * A run of {@code steps} steps in the project's log format: loss 2 / (1 + step), a balance loss
     * that stays 0, L_gs 1e-4, a learning rate rising by 1e-4 a step, and an epoch row every 10
     * steps; the last step row is torn as a killed run leaves it.
     */
    private Path run(String name, int steps, boolean sigma) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(name));
        StringBuilder m =
                new StringBuilder(
                        "step,epoch,batch,loss,SoftmaxCrossEntropyLoss,balance_loss,"
                                + "group_sparse_loss,Accuracy,"
                                + (sigma ? "sigma," : "")
                                + "grad_norm,learning_rate,skipped,samples,millis\n");
        StringBuilder e =
                new StringBuilder(
                        "epoch,step,train_loss,train_Accuracy,validation_loss,validation_Accuracy,"
                                + "validation_max_tokens_per_expert,skipped,seconds\n");
        for (int s = 0; s < steps; s++) {
            double loss = 2.0 / (1 + s);
            m.append(
                    String.format(
                            Locale.ROOT,
                            "%d,%d,%d,%s,%s,0.0,1.0E-4,0.5,%s%s,%s,0,8,12.5%n",
                            s,
                            s / 10,
                            s % 10,
                            loss,
                            loss - 1e-4,
                            sigma ? (10.0 - s * 0.1) + "," : "",
                            // an empty cell, as a diagnostic that measures every other step leaves
                            s % 2 == 0 ? "1.5" : "",
                            1e-4 * (s + 1)));
            if (s % 10 == 9) {
                e.append(
                        String.format(
                                Locale.ROOT,
                                "%d,%d,%s,0.5,NaN,%s,200,0,3.0%n",
                                s / 10,
                                s + 1,
                                loss,
                                0.1 * (s / 10 + 1)));
            }
        }
        m.append(steps).append(",9,9,0.1"); // torn
        Files.writeString(dir.resolve(RunCurves.METRICS_FILE), m);
        Files.writeString(dir.resolve(RunCurves.EPOCHS_FILE), e);
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    @Test
    void curvesReadEveryNumericCellAndSkipEmptyOnesAndTheTornRow() throws IOException {
        RunCurves c = RunCurves.read(run("a", 30, false), "a");
        RunCurves.Series loss = c.getSteps().get("loss");
        assertEquals(30, loss.size(), "the torn 31st row is left out");
        assertEquals(2.0, loss.y()[0]);
        assertEquals(2.0 / 30, loss.y()[29], 1e-12);
        assertEquals(15, c.getSteps().get("grad_norm").size(), "empty cells left out");
        assertArrayEquals(new double[] {10, 20, 30}, c.getEpochs().get("validation_Accuracy").x());
        assertArrayEquals(
                new double[] {0.1, 0.2, 0.30000000000000004},
                c.getEpochs().get("validation_Accuracy").y());
        assertFalse(c.getEpochs().containsKey("validation_loss"), "all NaN: no series");
    }

    @Test
    void binningAveragesConsecutiveStepsIntoAtMostTheGivenPoints() {
        double[] x = new double[10];
        double[] y = new double[10];
        for (int i = 0; i < 10; i++) {
            x[i] = i;
            y[i] = i * i;
        }
        RunCurves.Series s = new RunCurves.Series(x, y);
        RunCurves.Series b = s.binned(4);
        // bins [0,2) [2,5) [5,7) [7,10)
        assertArrayEquals(new double[] {0.5, 3, 5.5, 8}, b.x());
        assertArrayEquals(new double[] {0.5, 29.0 / 3, 30.5, 194.0 / 3}, b.y(), 1e-12);
        assertSame(s, s.binned(10));
    }

    @Test
    void panelsHoldTheLossTermsTheEvaluationTheLearningRateAndSigma() throws IOException {
        List<Chart<?, ?>> one =
                CurvesFigure.charts(List.of(RunCurves.read(run("moe", 30, false), "moe")));
        assertEquals(
                List.of("loss", "SoftmaxCrossEntropyLoss", "group_sparse_loss"),
                names(one.get(0)),
                "the balance loss is 0 throughout: nothing to draw on a log scale");
        assertEquals(List.of("train_Accuracy", "validation_Accuracy"), names(one.get(1)));
        assertEquals(List.of("learning_rate"), names(one.get(2)));
        assertEquals(List.of("grad_norm"), names(one.get(3)), "no sigma logged");

        List<Chart<?, ?>> two =
                CurvesFigure.charts(
                        List.of(
                                RunCurves.read(temp.resolve("moe"), "moe"),
                                RunCurves.read(run("moge", 30, true), "moge")));
        assertTrue(names(two.get(0)).containsAll(List.of("moe: loss", "moge: loss")));
        assertEquals(List.of("moge: sigma"), names(two.get(3)));
        assertTrue(((XYChart) two.get(3)).getTitle().startsWith("Sigma"));
    }

    @Test
    void writeForDrawsTheRunsOwnFigureAndReportsAMissingLog() throws IOException {
        Path dir = run("r", 50, true);
        List<String> lines = new ArrayList<>();
        CurvesFigure.writeFor(dir, lines::add);
        BufferedImage png = ImageIO.read(dir.resolve(CurvesFigure.FILE_NAME).toFile());
        assertEquals(1400, png.getWidth());
        assertEquals(960, png.getHeight());
        assertEquals(List.of("Learning curves: " + dir.resolve(CurvesFigure.FILE_NAME)), lines);

        Path empty = Files.createDirectories(temp.resolve("empty"));
        lines.clear();
        CurvesFigure.writeFor(empty, lines::add);
        assertTrue(lines.get(0).startsWith("No curves.png for " + empty), lines.toString());
        assertTrue(lines.get(0).contains("holds no metrics.csv"), lines.toString());
        assertFalse(Files.exists(empty.resolve(CurvesFigure.FILE_NAME)));
    }

    @Test
    void plotOverlaysTheRunsBelowADirectoryAndRefusesOneWithoutRuns() throws IOException {
        Path inv = Files.createDirectories(temp.resolve("inv"));
        // an invariance output's own per-epoch metrics.csv is not a run
        Files.writeString(inv.resolve("metrics.csv"), "epoch,model\n1,MoE\n");
        Files.move(run("train-moe", 20, false), inv.resolve("train-moe"));
        Files.move(run("train-moge", 20, true), inv.resolve("train-moge"));
        Path png = temp.resolve("overlay.png");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                MogeCli.newCommandLine(new PrintWriter(out), new PrintWriter(err))
                        .execute("plot", inv.toString(), "--output", png.toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("2 run(s): [train-moe, train-moge]"), out.toString());
        assertEquals(1400, ImageIO.read(png.toFile()).getWidth());

        Path nothing = Files.createDirectories(temp.resolve("nothing"));
        err = new StringWriter();
        code =
                MogeCli.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                        .execute("plot", nothing.toString());
        assertEquals(2, code);
        assertTrue(
                err.toString()
                        .contains(
                                "holds no training run (no config.json with metrics.csv in it or"
                                        + " below it)"),
                err.toString());
        assertThrows(IllegalArgumentException.class, () -> CurvesFigure.charts(List.of()));
    }

    private static List<String> names(Chart<?, ?> chart) {
        return new ArrayList<>(((XYChart) chart).getSeriesMap().keySet());
    }
}
