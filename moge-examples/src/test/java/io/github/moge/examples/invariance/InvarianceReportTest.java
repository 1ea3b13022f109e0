package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.compare.Interval;
import java.awt.image.BufferedImage;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InvarianceReportTest {

    private static final int IMAGES = 100;

    /**
     * Means base + step i per transform i; image j's value is the mean plus sign a (-1)^j, so two
     * results with opposite signs differ per image by their means' difference +- 2a.
     */
    private static ModelResult result(
            String name, double base, double step, double accuracy, double sign) {
        double[] imed = new double[12];
        double[][] perImage = new double[12][IMAGES];
        for (int i = 0; i < 12; i++) {
            imed[i] = base + step * i;
            for (int j = 0; j < IMAGES; j++) {
                perImage[i][j] = imed[i] + sign * (j % 2 == 0 ? 5e-4 : -5e-4);
            }
        }
        float[][] maps = new float[10][400];
        for (int c = 0; c < 10; c++) {
            maps[c][c * 41] = 0.5f;
            maps[c][0] += 0.1f;
        }
        EpochMetrics e1 = new EpochMetrics(1, name, 1.5, 1.25, 0.25, 0.5, 0.625, 10.0, 600.0, 17);
        EpochMetrics e2 =
                new EpochMetrics(2, name, 0.75, 0.5, 0.25, 0.75, accuracy, 12.5, 480.0, 20);
        return new ModelResult(
                name, accuracy, imed, perImage, maps, 123, 22.5, 4.0, 60, List.of(e1, e2));
    }

    // MoE 0.010 + 0.001 i, MoGE 0.0146 + 0.0005 i: MoGE - MoE = 0.0046 - 0.0005 i, per image that
    // +- 0.001, so the bootstrap's 95% interval is about the difference +- 0.0002: MoE lower in
    // rows 0-8, row 9 (+0.0001) unresolved, MoGE lower in rows 10 and 11
    private static final ModelResult MOE = result("MoE", 0.010, 0.001, 0.8, 1);
    private static final ModelResult MOGE = result("MoGE", 0.0146, 0.0005, 0.8125, -1);

    @Test
    void invarianceCsvHasTheExactHeaderAndOneRowPerTransform() throws Exception {
        StringWriter w = new StringWriter();
        InvarianceReport.writeInvarianceCsv(w, MOE, MOGE);
        String[] lines = w.toString().split("\n");
        assertEquals(13, lines.length);
        assertEquals("transform,parameter,moe_imed,moge_imed", lines[0]);
        assertEquals("rotation,5,0.0100000,0.0146000", lines[1]);
        assertEquals("scale,0.5,0.0130000,0.0161000", lines[4]);
        assertEquals("translation,\"(0,0.1)\",0.0160000,0.0176000", lines[7]);
        assertEquals("shear,15,0.0210000,0.0201000", lines[12]);
    }

    @Test
    void theBootstrapResolvesOnlyDifferencesItsIntervalKeepsAwayFromZero() {
        List<Interval> d = InvarianceReport.differences(MOE, MOGE);
        assertEquals(12, d.size());
        for (int i = 0; i < 12; i++) {
            double expected = 0.0046 - 0.0005 * i;
            assertEquals(expected, d.get(i).estimate(), 1e-12, "row " + i);
            // the half-width is 1.96 sd of the mean of 100 values +- 0.001: 0.0002, within 20%
            assertEquals(1.96e-4, d.get(i).upper() - expected, 4e-5, "row " + i);
            assertEquals(1.96e-4, expected - d.get(i).lower(), 4e-5, "row " + i);
            String verdict =
                    i < 9 ? "MoE lower" : i == 9 ? "no resolvable difference" : "MoGE lower";
            assertEquals(verdict, InvarianceReport.verdict(d.get(i)), "row " + i);
        }
        assertEquals(
                "MoGE lower in 2 of 12 transforms, MoE lower in 9, no resolvable difference in 1"
                        + " (95% bootstrap over test images)",
                InvarianceReport.summary(d));
        // identical models: every interval is [0, 0], which does not exclude 0
        assertEquals(
                "MoGE lower in 0 of 12 transforms, MoE lower in 0, no resolvable difference in 12"
                        + " (95% bootstrap over test images)",
                InvarianceReport.summary(InvarianceReport.differences(MOE, MOE)));
    }

    @Test
    void markdownHasTheTableTheCountAndTheAccuracies() throws Exception {
        StringWriter w = new StringWriter();
        InvarianceReport.writeMarkdown(w, MOE, MOGE, "epochs 2", "moge invariance --epochs 2");
        String md = w.toString();
        assertTrue(
                md.contains(
                        "| transform | parameter | MoE | MoGE | MoGE - MoE | 95% interval |"
                                + " relative | verdict |\n"),
                md);
        assertTrue(md.contains("| rotation | 5 | 0.01000 | 0.01460 | +0.004600 | ["), md);
        assertTrue(md.contains("| +46.00% | MoE lower |\n"), md);
        assertTrue(md.contains("| shear | 5 | 0.01900 | 0.01910 | +0.000100 | ["), md);
        assertTrue(md.contains("| +0.53% | no resolvable difference |\n"), md);
        assertTrue(md.contains("| shear | 15 | 0.02100 | 0.02010 | -0.000900 | ["), md);
        assertTrue(md.contains("| -4.29% | MoGE lower |\n"), md);
        assertTrue(md.contains("on the 20 x 20 routing map"), md);
        assertTrue(
                md.contains(
                        "MoGE lower in 2 of 12 transforms, MoE lower in 9, no resolvable difference"
                                + " in 1 (95% bootstrap over test images).\n"),
                md);
        assertTrue(md.contains("| MoE | 0.8000 | 123 | 60 | 22.5 | 4.0 |\n"), md);
        assertTrue(md.contains("| MoGE | 0.8125 | 123 | 60 | 22.5 | 4.0 |\n"), md);
        assertTrue(md.contains("Command: `moge invariance --epochs 2`"), md);
    }

    @Test
    void metricsCsvHasOneRowPerEpochAndModel() throws Exception {
        StringWriter w = new StringWriter();
        InvarianceReport.writeMetricsCsv(w, List.of(MOE, MOGE));
        String[] lines = w.toString().split("\n");
        assertEquals(5, lines.length);
        assertEquals(
                "epoch,model,train_loss,train_cross_entropy,train_group_sparse,train_accuracy,"
                        + "test_accuracy,seconds,images_per_second,max_tokens_per_expert",
                lines[0]);
        assertEquals(
                "1,MoE,1.500000,1.250000,0.250000,0.500000,0.625000,10.000,600.0,17", lines[1]);
        assertEquals(
                "2,MoGE,0.750000,0.500000,0.250000,0.750000,0.812500,12.500,480.0,20", lines[4]);
    }

    @Test
    void writeAllWritesEveryFileAndAReadablePng(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("maps"));
        InvarianceReport.writeAll(dir, List.of(MOE, MOGE), "s", null);
        for (String f : InvarianceReport.FILES) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        BufferedImage png = ImageIO.read(dir.resolve(RoutingMapFigure.FILE_NAME).toFile());
        BufferedImage rendered = RoutingMapFigure.render(List.of(MOE, MOGE));
        assertEquals(rendered.getWidth(), png.getWidth());
        assertEquals(rendered.getHeight(), png.getHeight());
    }

    @Test
    void colourScaleRunsFromDarkPurpleToYellow() {
        assertEquals(new java.awt.Color(68, 1, 84), RoutingMapFigure.colour(0f));
        assertEquals(new java.awt.Color(253, 231, 37), RoutingMapFigure.colour(1f));
        assertEquals(RoutingMapFigure.colour(1f), RoutingMapFigure.colour(7f));
        assertEquals(RoutingMapFigure.colour(0f), RoutingMapFigure.colour(Float.NaN));
    }
}
