package io.github.moge.core.compare;

/**
 * Student's t distribution: its CDF through the regularised incomplete beta function and its
 * quantile by bisection on the CDF (monotone, so bisection cannot miss; 200 halvings reach double
 * precision on any bracket used here).
 *
 * <p>F(t) = 1 - I_x(df / 2, 1 / 2) / 2 for t &gt;= 0 with x = df / (df + t^2); I is evaluated with
 * the continued fraction of Numerical Recipes (section 6.4) and log-gamma with Lanczos' series (g =
 * 7, nine terms, relative error below 1e-15).
 */
public final class StudentT {

    private static final double[] LANCZOS = {
        0.99999999999980993,
        676.5203681218851,
        -1259.1392167224028,
        771.32342877765313,
        -176.61502916214059,
        12.507343278686905,
        -0.13857109526572012,
        9.9843695780195716e-6,
        1.5056327351493116e-7
    };

    private StudentT() {}

    /**
     * Returns P(T &lt;= t) for T with {@code df} degrees of freedom.
     *
     * @param t the point
     * @param df degrees of freedom, &gt; 0
     * @return the CDF at t
     */
    public static double cdf(double t, double df) {
        if (!(df > 0)) {
            throw new IllegalArgumentException("degrees of freedom must be > 0, got " + df);
        }
        if (Double.isNaN(t)) {
            return Double.NaN;
        }
        if (Double.isInfinite(t)) {
            return t > 0 ? 1 : 0;
        }
        double tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /**
     * Returns the p-quantile of Student's t with {@code df} degrees of freedom, e.g. {@code
     * quantile(0.975, 4)} = 2.7764.
     *
     * @param p the probability, in (0, 1)
     * @param df degrees of freedom, &gt; 0
     * @return t with P(T &lt;= t) = p
     */
    public static double quantile(double p, double df) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p must be in (0, 1), got " + p);
        }
        if (p < 0.5) {
            return -quantile(1 - p, df);
        }
        if (p == 0.5) {
            return 0;
        }
        double lo = 0;
        double hi = 1;
        while (cdf(hi, df) < p) {
            lo = hi;
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
            double mid = 0.5 * (lo + hi);
            if (cdf(mid, df) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    /**
     * Returns the regularised incomplete beta function I_x(a, b).
     *
     * @param x in [0, 1]
     * @param a &gt; 0
     * @param b &gt; 0
     * @return I_x(a, b)
     */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front =
                Math.exp(
                        logGamma(a + b)
                                - logGamma(a)
                                - logGamma(b)
                                + a * Math.log(x)
                                + b * Math.log1p(-x));
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
        // I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
        if (x < (a + 1) / (a + b + 2)) {
            return front * betaFraction(x, a, b) / a;
        }
        return 1 - front * betaFraction(1 - x, b, a) / b;
    }

    /** Lentz's evaluation of the continued fraction of I_x(a, b). */
    private static double betaFraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 10_000; m++) {
            int m2 = 2 * m;
            double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + even / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + odd / c;
            c = Math.abs(c) < tiny ? tiny : c;
            double step = d * c;
            h *= step;
            if (Math.abs(step - 1) < 1e-16) {
                break;
            }
        }
        return h;
    }

    /**
     * Returns ln Gamma(x) for x &gt; 0 (Lanczos).
     *
     * @param x &gt; 0
     * @return ln Gamma(x)
     */
    static double logGamma(double x) {
        if (x < 0.5) {
            // Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        double z = x - 1;
        double sum = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            sum += LANCZOS[i] / (z + i);
        }
        double t = z + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
