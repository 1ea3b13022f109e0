package io.github.moge.core.compare;

import java.util.Locale;

/**
 * The comparison of one metric: the paired t interval over seeds, the bootstrap interval over test
 * examples where the runs recorded per-example values, and the verdict in words.
 *
 * @param metric the metric
 * @param seeds the paired t comparison over seeds
 * @param bootstrap the paired bootstrap over test examples, or null without per-example values
 */
public record MetricComparison(Metric metric, PairedDifference seeds, Interval bootstrap) {

    /** {@return whether the t interval over seeds excludes 0} */
    public boolean isResolved() {
        return seeds.interval().excludesZero();
    }

    /**
     * Returns the arm the t interval favours, or null when it includes 0.
     *
     * @param baseline the baseline's name
     * @param variant the variant's name
     * @return the better arm's name, or null
     */
    public String favoured(String baseline, String variant) {
        if (!isResolved()) {
            return null;
        }
        boolean variantLarger = seeds.interval().estimate() > 0;
        return variantLarger == metric.higherIsBetter() ? variant : baseline;
    }

    /**
     * Returns the verdict sentence, e.g. {@code test_accuracy: resolved in favour of moge ...} or
     * {@code ...: no resolvable difference ...}. It rests on the t interval over seeds (training
     * noise); the bootstrap over test examples is added as a second statement.
     *
     * @param baseline the baseline's name
     * @param variant the variant's name
     * @return the sentence
     */
    public String verdict(String baseline, String variant) {
        Interval t = seeds.interval();
        String favoured = favoured(baseline, variant);
        StringBuilder sb = new StringBuilder(metric.name()).append(": ");
        sb.append(
                favoured == null
                        ? "no resolvable difference"
                        : "resolved in favour of " + favoured);
        sb.append(
                String.format(
                        Locale.ROOT,
                        " (%s is better; %s - %s = %s, %s t interval over %d seeds %s %s 0)",
                        metric.higherIsBetter() ? "higher" : "lower",
                        variant,
                        baseline,
                        number(t.estimate()),
                        percent(t.confidence()),
                        seeds.seeds(),
                        range(t),
                        t.excludesZero() ? "excludes" : "includes"));
        if (bootstrap != null) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "; over test examples the %s bootstrap interval %s %s 0",
                            percent(bootstrap.confidence()),
                            range(bootstrap),
                            bootstrap.excludesZero() ? "excludes" : "includes"));
        }
        return sb.append('.').toString();
    }

    /** Formats an interval as {@code [lower, upper]} with signs. */
    static String range(Interval i) {
        return "[" + number(i.lower()) + ", " + number(i.upper()) + "]";
    }

    /** Formats a signed number with 4 significant digits. */
    static String number(double v) {
        return String.format(Locale.ROOT, "%+.4g", v);
    }

    static String percent(double confidence) {
        double p = 100 * confidence;
        return (p == Math.rint(p)
                        ? String.format(Locale.ROOT, "%d", (long) p)
                        : String.format(Locale.ROOT, "%s", p))
                + "%";
    }
}
