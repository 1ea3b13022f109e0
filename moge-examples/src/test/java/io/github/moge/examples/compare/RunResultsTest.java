package io.github.moge.examples.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.compare.Metric;
import io.github.moge.core.compare.RunResult;
import io.github.moge.examples.invariance.InvarianceExperiment;
import io.github.moge.examples.invariance.InvarianceReport;
import io.github.moge.lm.training.LmTraining;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the result files of finished runs, and a child JVM of the command line. */
class RunResultsTest {

    @TempDir Path dir;

    @Test
    void invarianceRunGivesEachModelItsMetricsAndPerImageValues() throws IOException {
        Files.writeString(
                dir.resolve("metrics.csv"),
                InvarianceReport.METRICS_HEADER
                        + "\n1,MoE,1,1,0,0.5,0.60,1,1,3\n1,MoGE,1,1,0.1,0.5,0.62,1,1,3"
                        + "\n2,MoE,1,1,0,0.5,0.70,1,1,3\n2,MoGE,1,1,0.1,0.5,0.75,1,1,3\n");
        Files.writeString(
                dir.resolve("invariance.csv"),
                InvarianceReport.INVARIANCE_HEADER
                        + "\nrotation,5,0.25,0.125\nshear,15,0.5,0.375\n");
        Files.createDirectories(dir.resolve("train-moge"));
        Files.writeString(
                dir.resolve("train-moge").resolve(InvarianceReport.PER_IMAGE_FILE),
                "imed_rotation_5,imed_shear_15\n0.1,0.3\n0.15,0.45\n");
        RunResult moe = RunResults.invariance(dir, InvarianceExperiment.MOE);
        RunResult moge = RunResults.invariance(dir, InvarianceExperiment.MOGE);
        assertEquals(0.70, moe.getMetric("test_accuracy"), 1e-12);
        assertEquals(0.75, moge.getMetric("test_accuracy"), 1e-12);
        assertEquals(0.25, moe.getMetric("imed_rotation_5"), 1e-12);
        assertEquals(0.375, moge.getMetric("imed_shear_15"), 1e-12);
        assertArrayEquals(new double[] {0.60, 0.70}, moe.getCurve(), 1e-12);
        assertTrue(moe.getPerExample().isEmpty(), "no per-image file for MoE");
        assertArrayEquals(new double[] {0.3, 0.45}, moge.getPerExample().get("imed_shear_15"));
        // Every metric a comparison asks for is a column of the files the run writes.
        List<String> names = RunResults.invarianceMetrics().stream().map(Metric::name).toList();
        assertEquals("test_accuracy", names.get(0));
        assertTrue(
                names.contains("imed_rotation_5") && names.contains("imed_shear_15"), names + "");
        assertEquals(13, names.size());
    }

    @Test
    void unfinishedLmRunIsNotAResult() throws IOException {
        Files.writeString(
                dir.resolve("summary.json"),
                "{\"completed\": false, \"steps\": 3, \"test_ppl\": null}\n");
        IOException e = assertThrows(IOException.class, () -> RunResults.lm(dir));
        assertTrue(e.getMessage().contains("stopped before its last epoch"), e.getMessage());
        Files.writeString(
                dir.resolve("summary.json"),
                "{\"completed\": true, \"steps\": 3, \"test_ppl\": 148.413}\n");
        Files.writeString(dir.resolve(LmTraining.TEST_TOKEN_NLL_FILE), "nll\n4.5\n5.5\n5\n");
        RunResult r = RunResults.lm(dir);
        assertEquals(148.413, r.getMetric("test_perplexity"), 1e-9);
        assertEquals(Math.log(148.413), r.getMetric("test_loss"), 1e-12);
        assertArrayEquals(new double[] {4.5, 5.5, 5}, r.getPerExample().get("test_loss"));
    }
}
