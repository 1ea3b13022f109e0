package io.github.moge.core.compare;

/**
 * A metric a comparison reports, with the direction that counts as better (the verdict names the
 * side it favours).
 *
 * @param name the name, as in the run results and the columns of {@code compare.csv}
 * @param higherIsBetter whether a larger value is better (accuracy) or a smaller one (perplexity,
 *     loss, IMED)
 */
public record Metric(String name, boolean higherIsBetter) {

    /**
     * Checks the name.
     *
     * @param name the name
     * @param higherIsBetter the direction
     */
    public Metric {
        if (name == null || !name.matches("[A-Za-z0-9_.@-]+")) {
            throw new IllegalArgumentException(
                    "metric name must be letters, digits, '_', '.', '@' or '-', got " + name);
        }
    }

    /**
     * Returns a metric where larger is better.
     *
     * @param name the name
     * @return the metric
     */
    public static Metric higherIsBetter(String name) {
        return new Metric(name, true);
    }

    /**
     * Returns a metric where smaller is better.
     *
     * @param name the name
     * @return the metric
     */
    public static Metric lowerIsBetter(String name) {
        return new Metric(name, false);
    }
}
