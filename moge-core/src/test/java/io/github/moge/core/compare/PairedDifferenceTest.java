package io.github.moge.core.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The paired t interval against values computed by hand. */
class PairedDifferenceTest {

    @Test
    void knownDifferencesGiveTheirTInterval() {
        // Differences 1, 2, 3, 4, 5: mean 3, s = sqrt(2.5), se = s / sqrt(5) = 0.70711,
        // t_{0.975,4} = 2.77645: 3 +- 1.96324.
        double[] base = {10, 20, 30, 40, 50};
        double[] var = {11, 22, 33, 44, 55};
        PairedDifference p = PairedDifference.of(base, var, 0.95);
        assertEquals(5, p.seeds());
        assertEquals(30, p.baselineMean(), 1e-12);
        assertEquals(33, p.variantMean(), 1e-12);
        assertEquals(Math.sqrt(2.5), p.differenceSd(), 1e-12);
        assertEquals(3, p.interval().estimate(), 1e-12);
        assertEquals(1.03676, p.interval().lower(), 1e-4);
        assertEquals(4.96324, p.interval().upper(), 1e-4);
        assertTrue(p.interval().excludesZero());
    }

    @Test
    void twoSeedsUseTwelvePointSeven() {
        // Differences 0.1 and 0.3: mean 0.2, s = 0.141421, se = 0.1, t_{0.975,1} = 12.7062.
        PairedDifference p =
                PairedDifference.of(new double[] {1, 1}, new double[] {1.1, 1.3}, 0.95);
        assertEquals(0.2 - 1.270620, p.interval().lower(), 1e-5);
        assertEquals(0.2 + 1.270620, p.interval().upper(), 1e-5);
        assertFalse(p.interval().excludesZero());
    }

    @Test
    void verdictNamesTheBetterSideByDirection() {
        PairedDifference p =
                PairedDifference.of(new double[] {10, 20, 30}, new double[] {9, 18.5, 28.2}, 0.95);
        MetricComparison lower =
                new MetricComparison(Metric.lowerIsBetter("test_perplexity"), p, null);
        assertEquals("moge", lower.favoured("moe", "moge"));
        assertTrue(
                lower.verdict("moe", "moge")
                        .startsWith("test_perplexity: resolved in favour of moge"),
                lower.verdict("moe", "moge"));
        MetricComparison higher = new MetricComparison(Metric.higherIsBetter("acc"), p, null);
        assertEquals("moe", higher.favoured("moe", "moge"));
        MetricComparison none =
                new MetricComparison(
                        Metric.higherIsBetter("acc"),
                        PairedDifference.of(new double[] {1, 2}, new double[] {1.5, 1.9}, 0.95),
                        null);
        assertTrue(none.verdict("moe", "moge").startsWith("acc: no resolvable difference"));
    }

    @Test
    void refusesTooFewOrUnpairedValues() {
        assertThrows(
                IllegalArgumentException.class,
                () -> PairedDifference.of(new double[] {1}, new double[] {2}, 0.95));
        assertThrows(
                IllegalArgumentException.class,
                () -> PairedDifference.of(new double[] {1, 2}, new double[] {2}, 0.95));
    }
}
