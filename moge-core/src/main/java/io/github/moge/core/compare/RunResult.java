package io.github.moge.core.compare;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one run (one seed of one arm) of a comparison measured: named metrics, optionally the
 * per-example values of some of them (for the bootstrap over test examples) and optionally a
 * learning curve (one value per epoch, for the plot). Saved as JSON beside the run's directory,
 * which marks the run as finished.
 */
public final class RunResult {

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private final Map<String, Double> metrics;
    private final Map<String, double[]> perExample;
    private final String curveName;
    private final double[] curve;

    private RunResult(Builder b) {
        this.metrics = Collections.unmodifiableMap(new LinkedHashMap<>(b.metrics));
        this.perExample = Collections.unmodifiableMap(new LinkedHashMap<>(b.perExample));
        this.curveName = b.curveName;
        this.curve = b.curve;
    }

    /** {@return a new builder} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the metrics by name, in the order they were added} */
    public Map<String, Double> getMetrics() {
        return metrics;
    }

    /**
     * Returns one metric.
     *
     * @param name the name
     * @return the value
     * @throws IllegalArgumentException if the run did not measure it
     */
    public double getMetric(String name) {
        Double v = metrics.get(name);
        if (v == null) {
            throw new IllegalArgumentException(
                    "the run result has no metric " + name + " (it has " + metrics.keySet() + ")");
        }
        return v;
    }

    /** {@return the per-example values by metric name (read-only arrays by convention)} */
    public Map<String, double[]> getPerExample() {
        return perExample;
    }

    /** {@return the name of the learning curve's quantity, or null without a curve} */
    public String getCurveName() {
        return curveName;
    }

    /** {@return the learning curve (one value per epoch), or an empty array} */
    public double[] getCurve() {
        return curve.clone();
    }

    /** {@return the result as JSON (non-finite numbers as NaN/Infinity tokens)} */
    public String toJson() {
        JsonObject o = new JsonObject();
        JsonObject m = new JsonObject();
        metrics.forEach(m::addProperty);
        o.add("metrics", m);
        JsonObject p = new JsonObject();
        perExample.forEach((k, v) -> p.add(k, array(v)));
        o.add("per_example", p);
        if (curveName != null) {
            JsonObject c = new JsonObject();
            c.addProperty("name", curveName);
            c.add("values", array(curve));
            o.add("curve", c);
        }
        return GSON.toJson(o) + "\n";
    }

    /**
     * Reads a result written by {@link #toJson()}.
     *
     * @param json the text
     * @return the result
     * @throws IllegalArgumentException if the text is not such a result
     */
    public static RunResult fromJson(String json) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            Builder b = builder();
            for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("metrics").entrySet()) {
                b.addMetric(e.getKey(), e.getValue().getAsDouble());
            }
            if (o.has("per_example")) {
                for (Map.Entry<String, JsonElement> e :
                        o.getAsJsonObject("per_example").entrySet()) {
                    b.addPerExample(e.getKey(), values(e.getValue().getAsJsonArray()));
                }
            }
            if (o.has("curve")) {
                JsonObject c = o.getAsJsonObject("curve");
                b.setCurve(c.get("name").getAsString(), values(c.getAsJsonArray("values")));
            }
            return b.build();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a run result: " + e.getMessage(), e);
        }
    }

    private static JsonArray array(double[] values) {
        JsonArray a = new JsonArray(values.length);
        for (double v : values) {
            a.add(v);
        }
        return a;
    }

    private static double[] values(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }

    /** Builds a {@link RunResult}. */
    public static final class Builder {

        private final Map<String, Double> metrics = new LinkedHashMap<>();
        private final Map<String, double[]> perExample = new LinkedHashMap<>();
        private String curveName;
        private double[] curve = new double[0];

        Builder() {}

        /**
         * Adds a metric.
         *
         * @param name the name
         * @param value the value
         * @return this builder
         */
        public Builder addMetric(String name, double value) {
            metrics.put(name, value);
            return this;
        }

        /**
         * Adds the per-example values of a metric, one per test example in a fixed order (the same
         * for every run of the comparison).
         *
         * @param name the metric's name
         * @param values the values
         * @return this builder
         */
        public Builder addPerExample(String name, double[] values) {
            perExample.put(name, values.clone());
            return this;
        }

        /**
         * Sets the learning curve.
         *
         * @param name what it measures, e.g. {@code validation_perplexity}
         * @param values one value per epoch
         * @return this builder
         */
        public Builder setCurve(String name, double[] values) {
            this.curveName = name;
            this.curve = values.clone();
            return this;
        }

        /**
         * Builds the result.
         *
         * @return the result
         */
        public RunResult build() {
            return new RunResult(this);
        }
    }
}
