package io.github.moge.vision.transform;

import java.util.Random;

/**
 * Draws from the symmetric Beta(alpha, alpha) distribution as X / (X + Y) of two Gamma(alpha, 1)
 * draws, Gamma by Marsaglia and Tsang's method (with the {@code U^(1/alpha)} boost for alpha &lt;
 * 1).
 */
final class BetaSampler {

    private BetaSampler() {}

    static double beta(Random r, double alpha) {
        double x = gamma(r, alpha);
        double y = gamma(r, alpha);
        double s = x + y;
        return s > 0 ? x / s : (r.nextBoolean() ? 1.0 : 0.0);
    }

    static double gamma(Random r, double alpha) {
        if (alpha < 1) {
            double u = r.nextDouble();
            return gamma(r, alpha + 1) * Math.pow(u, 1.0 / alpha);
        }
        double d = alpha - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9 * d);
        while (true) {
            double z = r.nextGaussian();
            double v = 1 + c * z;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = r.nextDouble();
            if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }
}
