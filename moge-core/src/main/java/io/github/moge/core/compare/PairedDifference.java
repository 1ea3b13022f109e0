package io.github.moge.core.compare;

/**
 * The paired comparison of one metric over seeds: the means of both sides, the mean of the per-seed
 * differences (variant - baseline) and its Student t interval, mean +- t_{(1+c)/2, n-1} * s /
 * sqrt(n) with s the sample standard deviation of the differences.
 *
 * @param seeds the number of pairs n
 * @param baselineMean mean of the baseline's values
 * @param variantMean mean of the variant's values
 * @param differenceSd sample standard deviation of the differences (n - 1 in the denominator)
 * @param interval the mean difference and its t interval
 */
public record PairedDifference(
        int seeds,
        double baselineMean,
        double variantMean,
        double differenceSd,
        Interval interval) {

    /**
     * Computes the paired t interval.
     *
     * @param baseline the baseline's value per seed
     * @param variant the variant's value per seed, in the same seed order
     * @param confidence the coverage, e.g. 0.95
     * @return the comparison
     * @throws IllegalArgumentException with fewer than 2 pairs, unequal lengths or non-finite
     *     values
     */
    public static PairedDifference of(double[] baseline, double[] variant, double confidence) {
        int n = baseline.length;
        if (n != variant.length) {
            throw new IllegalArgumentException(
                    "paired values need the same number of seeds, got "
                            + n
                            + " and "
                            + variant.length);
        }
        if (n < 2) {
            throw new IllegalArgumentException("a t interval needs at least 2 seeds, got " + n);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        double sumBase = 0;
        double sumVar = 0;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(baseline[i]) || !Double.isFinite(variant[i])) {
                throw new IllegalArgumentException("seed " + i + " has a non-finite value");
            }
            sumBase += baseline[i];
            sumVar += variant[i];
            d[i] = variant[i] - baseline[i];
        }
        double mean = 0;
        for (double x : d) {
            mean += x;
        }
        mean /= n;
        double ss = 0;
        for (double x : d) {
            ss += (x - mean) * (x - mean);
        }
        double sd = Math.sqrt(ss / (n - 1));
        double half = StudentT.quantile((1 + confidence) / 2, n - 1) * sd / Math.sqrt(n);
        return new PairedDifference(
                n,
                sumBase / n,
                sumVar / n,
                sd,
                new Interval(mean, mean - half, mean + half, confidence));
    }
}
