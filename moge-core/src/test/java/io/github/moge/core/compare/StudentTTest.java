package io.github.moge.core.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The t quantiles and CDF against tabulated values. */
class StudentTTest {

    @Test
    void quantilesMatchTables() {
        assertEquals(12.7062, StudentT.quantile(0.975, 1), 1e-4);
        assertEquals(4.3027, StudentT.quantile(0.975, 2), 1e-4);
        assertEquals(3.1824, StudentT.quantile(0.975, 3), 1e-4);
        assertEquals(2.7764, StudentT.quantile(0.975, 4), 1e-4);
        assertEquals(2.2622, StudentT.quantile(0.975, 9), 1e-4);
        assertEquals(2.0423, StudentT.quantile(0.975, 30), 1e-4);
        assertEquals(63.6567, StudentT.quantile(0.995, 1), 1e-3);
        assertEquals(1.6449, StudentT.quantile(0.95, 1e7), 1e-4);
        assertEquals(-2.7764, StudentT.quantile(0.025, 4), 1e-4);
        assertEquals(0.0, StudentT.quantile(0.5, 3), 1e-12);
    }

    @Test
    void cdfHasClosedFormsAtOneAndTwoDegrees() {
        // df = 1 is Cauchy: F(t) = 1/2 + atan(t) / pi; df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
        for (double t : new double[] {-7.5, -1, -0.2, 0, 0.3, 1, 4, 40}) {
            assertEquals(0.5 + Math.atan(t) / Math.PI, StudentT.cdf(t, 1), 1e-12, "t=" + t);
            assertEquals(0.5 + t / (2 * Math.sqrt(2 + t * t)), StudentT.cdf(t, 2), 1e-12, "t=" + t);
        }
    }

    @Test
    void logGammaMatchesFactorials() {
        assertEquals(0, StudentT.logGamma(1), 1e-13);
        assertEquals(Math.log(24), StudentT.logGamma(5), 1e-12);
        assertEquals(0.5 * Math.log(Math.PI), StudentT.logGamma(0.5), 1e-13);
    }
}
