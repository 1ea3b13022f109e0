package io.github.moge.core.training;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The settings of a run as flat JSON ({@code config.json}): what a command needs to rebuild the
 * same model, data and schedules when it is given only {@code --resume DIR}. Values are strings,
 * numbers, booleans or null; paths are stored as strings.
 *
 * <p>Keys are snake_case ({@code batch_size}, {@code clip_grad_norm}), the one key style of every
 * {@code config.json}: {@link #of} and {@link #with} refuse any other key. Reading ({@link
 * #fromJson}, {@link #read}) accepts any object, so that a command can name what an older file
 * lacks.
 */
public final class RunConfiguration {

    /** The file name in a run directory and in every checkpoint. */
    public static final String FILE_NAME = "config.json";

    /** Pretty-printed, null values written (an unset option is saved as null, not left out). */
    private static final Gson GSON =
            new GsonBuilder()
                    .setPrettyPrinting()
                    .serializeNulls()
                    .serializeSpecialFloatingPointValues()
                    .create();

    /** The key style: lower-case words joined by underscores. */
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    private final JsonObject values;

    private RunConfiguration(JsonObject values) {
        this.values = values;
    }

    /**
     * Creates a configuration from key-value pairs (insertion order is kept).
     *
     * @param values the settings; values are String, Number, Boolean, Enum, Path or null
     * @return the configuration
     * @throws IllegalArgumentException if a key is not snake_case or a value has another type
     */
    public static RunConfiguration of(Map<String, ?> values) {
        JsonObject json = new JsonObject();
        for (Map.Entry<String, ?> entry : values.entrySet()) {
            json.add(entry.getKey(), toJson(entry.getKey(), entry.getValue()));
        }
        return new RunConfiguration(json);
    }

    /** {@return an empty configuration} */
    public static RunConfiguration empty() {
        return new RunConfiguration(new JsonObject());
    }

    /**
     * Parses a configuration.
     *
     * @param json the JSON text of an object
     * @return the configuration
     */
    public static RunConfiguration fromJson(String json) {
        try {
            JsonElement element = JsonParser.parseString(json);
            if (!element.isJsonObject()) {
                throw new IllegalArgumentException("run configuration must be a JSON object");
            }
            return new RunConfiguration(element.getAsJsonObject());
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(
                    "run configuration is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the configuration of a run directory (what {@code --resume DIR} starts from).
     *
     * @param runDirectory the run directory
     * @return the configuration
     * @throws IOException if there is no readable {@code config.json}
     */
    public static RunConfiguration read(Path runDirectory) throws IOException {
        Path file = runDirectory.resolve(FILE_NAME);
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(
                    file.toString(),
                    null,
                    runDirectory + " is not a run directory (no " + FILE_NAME + ")");
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonElement toJson(String key, Object value) {
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(
                    "configuration key '"
                            + key
                            + "' is not snake_case"
                            + " (lower-case words joined by underscores, e.g. batch_size)");
        }
        if (value == null) {
            return JsonNull.INSTANCE;
        } else if (value instanceof Boolean) {
            return new JsonPrimitive((Boolean) value);
        } else if (value instanceof Number) {
            return new JsonPrimitive((Number) value);
        } else if (value instanceof CharSequence
                || value instanceof Path
                || value instanceof Enum) {
            return new JsonPrimitive(value.toString());
        }
        throw new IllegalArgumentException(
                "configuration value of '"
                        + key
                        + "' must be a string, number, boolean, enum, path or"
                        + " null, got "
                        + value.getClass().getName());
    }

    /**
     * Returns a copy with more keys (or replaced values), e.g. which of several models a run
     * trains.
     *
     * @param more the extra settings, keys and values as for {@link #of(Map)}
     * @return the new configuration
     */
    public RunConfiguration with(Map<String, ?> more) {
        JsonObject json = values.deepCopy();
        for (Map.Entry<String, ?> entry : more.entrySet()) {
            json.add(entry.getKey(), toJson(entry.getKey(), entry.getValue()));
        }
        return new RunConfiguration(json);
    }

    /**
     * Returns a copy without a key.
     *
     * @param key the key
     * @return the new configuration (equal to this one if it has no such key)
     */
    public RunConfiguration without(String key) {
        JsonObject json = values.deepCopy();
        json.remove(key);
        return new RunConfiguration(json);
    }

    /** {@return the JSON text (pretty-printed, null values included)} */
    public String toJson() {
        return GSON.toJson(values);
    }

    /** {@return the keys in order} */
    public Set<String> keys() {
        return new LinkedHashSet<>(values.keySet());
    }

    /**
     * Returns whether a key is present with a non-null value.
     *
     * @param key the key
     * @return whether it is set
     */
    public boolean has(String key) {
        return values.has(key) && !values.get(key).isJsonNull();
    }

    /**
     * Returns a value as a string.
     *
     * @param key the key
     * @return the value, or null if absent or null
     */
    public String getString(String key) {
        return has(key) ? values.get(key).getAsString() : null;
    }

    /**
     * Returns a number value as an int.
     *
     * @param key the key
     * @return the value
     */
    public int getInt(String key) {
        return require(key).getAsInt();
    }

    /**
     * Returns a number value as a long.
     *
     * @param key the key
     * @return the value
     */
    public long getLong(String key) {
        return require(key).getAsLong();
    }

    /**
     * Returns a number value as a float.
     *
     * @param key the key
     * @return the value
     */
    public float getFloat(String key) {
        return require(key).getAsFloat();
    }

    /**
     * Returns a number value as a double.
     *
     * @param key the key
     * @return the value
     */
    public double getDouble(String key) {
        return require(key).getAsDouble();
    }

    /**
     * Returns a boolean value.
     *
     * @param key the key
     * @return the value
     */
    public boolean getBoolean(String key) {
        return require(key).getAsBoolean();
    }

    private JsonElement require(String key) {
        if (!has(key)) {
            throw new IllegalArgumentException("run configuration has no value for '" + key + "'");
        }
        return values.get(key);
    }

    /**
     * Lists the keys whose values differ between two configurations, as {@code key: this -> other}.
     * Numbers compare by value, so 0.001 and 1e-3 are equal.
     *
     * @param other the other configuration
     * @return the differences, empty if equal
     */
    public List<String> differences(RunConfiguration other) {
        Set<String> keys = new LinkedHashSet<>(values.keySet());
        keys.addAll(other.values.keySet());
        List<String> out = new ArrayList<>();
        for (String key : keys) {
            JsonElement a = values.has(key) ? values.get(key) : JsonNull.INSTANCE;
            JsonElement b = other.values.has(key) ? other.values.get(key) : JsonNull.INSTANCE;
            if (!same(a, b)) {
                out.add(key + ": " + a + " -> " + b);
            }
        }
        return out;
    }

    private static boolean same(JsonElement a, JsonElement b) {
        if (a.isJsonPrimitive()
                && b.isJsonPrimitive()
                && a.getAsJsonPrimitive().isNumber()
                && b.getAsJsonPrimitive().isNumber()) {
            return a.getAsBigDecimal().compareTo(b.getAsBigDecimal()) == 0;
        }
        return a.equals(b);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
