package io.github.moge.core.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The paired percentile bootstrap on cases with a known answer. */
class PairedBootstrapTest {

    @Test
    void constantDifferenceHasAPointInterval() {
        double[] b = {0.3, 1.7, 2.2, 5.0};
        double[] v = {0.55, 1.95, 2.45, 5.25};
        Interval i = new PairedBootstrap(500, 7).interval(List.of(b, b), List.of(v, v), 0.95);
        assertEquals(0.25, i.estimate(), 1e-12);
        assertEquals(0.25, i.lower(), 1e-12);
        assertEquals(0.25, i.upper(), 1e-12);
    }

    @Test
    void binaryDifferencesMatchTheNormalApproximation() {
        // Differences 0/1 with p = 1/2 on n = 10000 examples: the mean's standard error is
        // sqrt(p (1 - p) / n) = 0.005, so the 95% interval is 0.5 +- 1.96 * 0.005 = +- 0.0098.
        int n = 10_000;
        double[] b = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 2;
        }
        Interval i = new PairedBootstrap(2000, 3).interval(List.of(b), List.of(v), 0.95);
        assertEquals(0.5, i.estimate(), 1e-12);
        assertEquals(0.5 - 0.0098, i.lower(), 0.0015);
        assertEquals(0.5 + 0.0098, i.upper(), 0.0015);
    }

    @Test
    void isSeededAndChecksThePairing() {
        double[] b = {1, 2, 3, 4, 5, 6};
        double[] v = {1.5, 1.8, 3.9, 4.1, 5.6, 5.9};
        Interval one = new PairedBootstrap(300, 11).interval(List.of(b), List.of(v), 0.9);
        Interval two = new PairedBootstrap(300, 11).interval(List.of(b), List.of(v), 0.9);
        assertEquals(one, two);
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        new PairedBootstrap(300, 1)
                                .interval(List.of(b), List.of(new double[] {1, 2}), 0.95));
    }

    @Test
    void percentileInterpolates() {
        assertEquals(2.5, PairedBootstrap.percentile(new double[] {1, 2, 3, 4}, 0.5), 1e-12);
        assertEquals(1, PairedBootstrap.percentile(new double[] {1, 2, 3, 4}, 0), 1e-12);
        assertEquals(4, PairedBootstrap.percentile(new double[] {1, 2, 3, 4}, 1), 1e-12);
    }
}
