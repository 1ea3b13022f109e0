package io.github.moge.core.compare;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded paired percentile bootstrap over test examples of a per-example metric (IMED of one
 * image, loss of one token): the statistic is the mean over seeds of the mean per-example
 * difference (variant - baseline); each resample draws the examples with replacement, the same draw
 * for every seed (they score the same test examples), and the interval is the (1-c)/2 and (1+c)/2
 * percentiles of the resampled statistics (linear interpolation between order statistics).
 *
 * <p>It measures the uncertainty from the finite test set given these trained models; the t
 * interval over seeds measures that from training. Both are reported.
 */
public final class PairedBootstrap {

    private final int resamples;
    private final long seed;

    /**
     * Creates a bootstrap.
     *
     * @param resamples the number of resamples, &gt;= 100
     * @param seed the seed of the resampling
     */
    public PairedBootstrap(int resamples, long seed) {
        if (resamples < 100) {
            throw new IllegalArgumentException("resamples must be >= 100, got " + resamples);
        }
        this.resamples = resamples;
        this.seed = seed;
    }

    /**
     * Returns the bootstrap interval of the mean paired difference.
     *
     * @param baseline per seed, the baseline's value of every test example
     * @param variant per seed, the variant's value of the same examples in the same order
     * @param confidence the coverage, e.g. 0.95
     * @return the observed statistic and its percentile interval
     * @throws IllegalArgumentException if the seeds or examples do not pair up
     */
    public Interval interval(List<double[]> baseline, List<double[]> variant, double confidence) {
        int seeds = baseline.size();
        if (seeds == 0 || seeds != variant.size()) {
            throw new IllegalArgumentException(
                    "the bootstrap needs the same seeds (at least one) on both sides, got "
                            + seeds
                            + " and "
                            + variant.size());
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        int n = baseline.get(0).length;
        double[][] d = new double[seeds][];
        for (int s = 0; s < seeds; s++) {
            double[] b = baseline.get(s);
            double[] v = variant.get(s);
            if (b.length != n || v.length != n || n == 0) {
                throw new IllegalArgumentException(
                        "every seed and side must score the same test examples: seed "
                                + s
                                + " has "
                                + b.length
                                + " and "
                                + v.length
                                + " values, seed 0 "
                                + n);
            }
            d[s] = new double[n];
            for (int i = 0; i < n; i++) {
                d[s][i] = v[i] - b[i];
            }
        }
        double observed = 0;
        for (double[] row : d) {
            observed += mean(row);
        }
        observed /= seeds;
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        int[] draw = new int[n];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) {
                draw[i] = random.nextInt(n);
            }
            double sum = 0;
            for (double[] row : d) {
                for (int i : draw) {
                    sum += row[i];
                }
            }
            stats[r] = sum / ((double) n * seeds);
        }
        Arrays.sort(stats);
        return new Interval(
                observed,
                percentile(stats, (1 - confidence) / 2),
                percentile(stats, (1 + confidence) / 2),
                confidence);
    }

    /** The q-quantile of sorted values, interpolating between order statistics (type 7). */
    static double percentile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
