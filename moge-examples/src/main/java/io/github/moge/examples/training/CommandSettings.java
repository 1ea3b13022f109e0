package io.github.moge.examples.training;

import com.google.gson.ExclusionStrategy;
import com.google.gson.FieldAttributes;
import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.github.moge.core.training.RunConfiguration;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The one settings mechanism of the training commands: a command resolves its options into one
 * immutable settings object, which this class saves as the run's {@code config.json} and reads back
 * for {@code --resume DIR}; and the one rule for which options define the run.
 *
 * <p>{@code config.json} is flat JSON: {@code "command"} (the command's name), then every field of
 * the settings object that is not {@link PerInvocation}, keyed by its name in snake_case ({@code
 * batchSize} is {@code batch_size}), the key style of every {@code config.json} ({@code
 * TrainingRun} adds {@code clip_grad_norm}). Numbers, booleans and strings are JSON values, enums
 * their constant names, paths strings, unset values null. Reading refuses a file of another command
 * and one that lacks a key of the settings object (a run written before the settings took their
 * present form).
 *
 * <p>The rule: every option of a command is run-defining except the help options and those whose
 * field is {@link PerInvocation} (all options of {@link TrainingRunOptions} are). A run-defining
 * option given together with {@code --resume} is refused, naming the option ({@link
 * TrainingRunOptions#validate} applies this for every command).
 */
public final class CommandSettings {

    /** The key of the command's name in {@code config.json}. */
    public static final String COMMAND_KEY = "command";

    private static final FieldNamingPolicy KEYS = FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES;

    private static final Gson GSON =
            new GsonBuilder()
                    .setFieldNamingPolicy(KEYS)
                    .serializeNulls()
                    .serializeSpecialFloatingPointValues()
                    .registerTypeHierarchyAdapter(Path.class, new PathAdapter().nullSafe())
                    .setExclusionStrategies(new SkipPerInvocation())
                    .create();

    private CommandSettings() {}

    /**
     * Returns a command's settings as the run configuration saved in {@code config.json}.
     *
     * @param command the command's name, e.g. {@code train-lm}
     * @param settings the settings object (a record or a class with plain fields)
     * @return the configuration
     */
    public static RunConfiguration toConfiguration(String command, Object settings) {
        JsonObject json = new JsonObject();
        json.addProperty(COMMAND_KEY, command);
        for (Map.Entry<String, JsonElement> entry :
                GSON.toJsonTree(settings).getAsJsonObject().entrySet()) {
            json.add(entry.getKey(), entry.getValue());
        }
        return RunConfiguration.fromJson(GSON.toJson(json));
    }

    /**
     * Reads a command's settings back from a saved run configuration.
     *
     * @param command the command's name
     * @param saved the configuration ({@code config.json})
     * @param type the settings type
     * @param <T> the settings type
     * @return the settings
     * @throws IllegalArgumentException if the configuration is not one of this command's runs, or
     *     lacks a key, or a value does not fit
     */
    public static <T> T fromConfiguration(String command, RunConfiguration saved, Class<T> type) {
        String writer = saved.getString(COMMAND_KEY);
        if (!command.equals(writer)) {
            throw new IllegalArgumentException(
                    "it was not written by 'moge "
                            + command
                            + "' ("
                            + (writer == null
                                    ? "no " + COMMAND_KEY + " key"
                                    : COMMAND_KEY + " '" + writer + "'")
                            + ")");
        }
        List<String> missing = new ArrayList<>(keys(type));
        missing.removeAll(saved.keys());
        missing.removeAll(addedKeys(type));
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "it has no "
                            + String.join(", ", missing)
                            + ": it was written before the run settings took their present form and"
                            + " cannot be resumed; start a new run");
        }
        try {
            return GSON.fromJson(JsonParser.parseString(saved.toJson()), type);
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException(
                    "a value does not fit the settings of 'moge "
                            + command
                            + "' ("
                            + e.getMessage()
                            + ")",
                    e);
        }
    }

    /**
     * Reads the settings of a run directory written by a command, for loading what it trained.
     *
     * @param runDirectory the run directory
     * @param command the command's name
     * @param type the settings type
     * @param <T> the settings type
     * @return the settings
     * @throws IOException if there is no readable {@code config.json}, or it is not one of this
     *     command's runs in the present form (the message names the file and why)
     */
    public static <T> T readRun(Path runDirectory, String command, Class<T> type)
            throws IOException {
        RunConfiguration saved = RunConfiguration.read(runDirectory);
        try {
            return fromConfiguration(command, saved, type);
        } catch (IllegalArgumentException e) {
            throw new IOException(
                    runDirectory.resolve(RunConfiguration.FILE_NAME)
                            + " is not a "
                            + command
                            + " run: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Returns the keys a settings type is saved under, in order.
     *
     * @param type the settings type
     * @return the keys, {@link #COMMAND_KEY} not included
     */
    public static List<String> keys(Class<?> type) {
        List<String> keys = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())
                    && !Modifier.isTransient(field.getModifiers())
                    && !field.isAnnotationPresent(PerInvocation.class)
                    && !field.isSynthetic()) {
                keys.add(KEYS.translateName(field));
            }
        }
        return keys;
    }

    /** Returns the keys of the {@link AddedSetting} fields, which a saved run may lack. */
    private static List<String> addedKeys(Class<?> type) {
        List<String> keys = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (field.isAnnotationPresent(AddedSetting.class)) {
                keys.add(KEYS.translateName(field));
            }
        }
        return keys;
    }

    /**
     * Returns the run-defining options of a command: all but the help options and the {@link
     * PerInvocation} ones.
     *
     * @param spec the command's spec
     * @return the options, in declaration order
     */
    public static List<OptionSpec> runDefiningOptions(CommandSpec spec) {
        List<OptionSpec> out = new ArrayList<>();
        for (OptionSpec option : spec.options()) {
            boolean perInvocation =
                    option.userObject() instanceof Field
                            && ((Field) option.userObject())
                                    .isAnnotationPresent(PerInvocation.class);
            if (!option.usageHelp() && !option.versionHelp() && !perInvocation) {
                out.add(option);
            }
        }
        return out;
    }

    /**
     * Returns the run-defining options given on a parsed command line, by their longest names.
     *
     * @param spec the command's spec, after parsing
     * @return the option names, empty if none (or if the command was not parsed)
     */
    public static List<String> givenRunDefiningOptions(CommandSpec spec) {
        ParseResult parsed =
                spec.commandLine() == null ? null : spec.commandLine().getParseResult();
        List<String> given = new ArrayList<>();
        for (OptionSpec option : runDefiningOptions(spec)) {
            if (parsed != null && parsed.hasMatchedOption(option)) {
                given.add(option.longestName());
            }
        }
        return given;
    }

    /** Saves paths as strings. */
    private static final class PathAdapter extends TypeAdapter<Path> {
        @Override
        public void write(JsonWriter out, Path value) throws IOException {
            out.value(value.toString());
        }

        @Override
        public Path read(JsonReader in) throws IOException {
            if (in.peek() != JsonToken.STRING) {
                throw new JsonParseException("a path must be a string, got " + in.peek());
            }
            return Path.of(in.nextString());
        }
    }

    /** Leaves {@link PerInvocation} fields out of {@code config.json}. */
    private static final class SkipPerInvocation implements ExclusionStrategy {
        @Override
        public boolean shouldSkipField(FieldAttributes field) {
            return field.getAnnotation(PerInvocation.class) != null;
        }

        @Override
        public boolean shouldSkipClass(Class<?> type) {
            return false;
        }
    }
}
