package io.github.moge.core.compare;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A finished comparison: the result of every (seed, arm) and the comparison of every metric. */
public final class ComparisonResult {

    private final String baseline;
    private final String variant;
    private final List<Long> seeds;
    private final Map<String, Map<Long, RunResult>> runs;
    private final List<MetricComparison> metrics;
    private final Map<String, String> settings;

    ComparisonResult(
            String baseline,
            String variant,
            List<Long> seeds,
            Map<String, Map<Long, RunResult>> runs,
            List<MetricComparison> metrics,
            Map<String, String> settings) {
        this.baseline = baseline;
        this.variant = variant;
        this.seeds = List.copyOf(seeds);
        this.runs = runs;
        this.metrics = List.copyOf(metrics);
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** {@return the baseline arm's name} */
    public String getBaseline() {
        return baseline;
    }

    /** {@return the variant arm's name} */
    public String getVariant() {
        return variant;
    }

    /** {@return the seeds in order} */
    public List<Long> getSeeds() {
        return seeds;
    }

    /** {@return the arms: baseline, then variant} */
    public List<String> getArms() {
        return List.of(baseline, variant);
    }

    /**
     * Returns the result of one run.
     *
     * @param seed the seed
     * @param arm the arm
     * @return the result
     */
    public RunResult getRun(long seed, String arm) {
        return runs.get(arm).get(seed);
    }

    /** {@return the comparison of each metric, in the order the metrics were given} */
    public List<MetricComparison> getMetrics() {
        return metrics;
    }

    /**
     * Returns the comparison of one metric.
     *
     * @param name the metric's name
     * @return the comparison
     */
    public MetricComparison getMetric(String name) {
        for (MetricComparison m : metrics) {
            if (m.metric().name().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no metric " + name + " in the comparison");
    }

    /** {@return the settings described in {@code compare.md}} */
    public Map<String, String> getSettings() {
        return settings;
    }

    /** {@return the verdict sentence of every metric} */
    public List<String> verdicts() {
        List<String> out = new ArrayList<>();
        for (MetricComparison m : metrics) {
            out.add(m.verdict(baseline, variant));
        }
        return out;
    }
}
