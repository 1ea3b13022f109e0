package io.github.moge.examples.training;

import io.github.moge.core.training.RunConfiguration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A picocli command's options as a {@link RunConfiguration} and back: a training command saves every option
 * that defines its run ({@link #capture}) and, given {@code --resume DIR}, sets them again from the run's
 * {@code config.json} ({@link #restore}) so that it rebuilds the same model, data and schedules.
 *
 * <p>Keys are the options' longest names without the leading dashes ({@code batch-size}). Help options,
 * the options of mixins (such as {@link TrainingRunOptions}) and the names given as {@code excluded}
 * (output directory, progress display) are not part of the run.
 */
public final class CommandConfiguration {

    private CommandConfiguration() {}

    /**
     * Returns the run-defining options of a parsed command and their values.
     *
     * @param spec the command's spec
     * @param excluded option keys that do not define the run
     * @return the configuration
     */
    public static RunConfiguration capture(CommandSpec spec, Set<String> excluded) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (OptionSpec option : runOptions(spec, excluded)) {
            values.put(key(option), option.getValue());
        }
        return RunConfiguration.of(values);
    }

    /**
     * Sets the run-defining options of a command from a saved configuration. Options given on the command
     * line as well are refused: a resumed run keeps its settings.
     *
     * @param spec the command's spec, after parsing
     * @param saved the run's configuration
     * @param excluded option keys that do not define the run
     * @throws IllegalArgumentException if a run-defining option was given, or a saved value does not fit
     */
    public static void restore(CommandSpec spec, RunConfiguration saved, Set<String> excluded) {
        ParseResult parsed = spec.commandLine() == null ? null : spec.commandLine().getParseResult();
        List<String> given = new ArrayList<>();
        for (OptionSpec option : runOptions(spec, excluded)) {
            if (parsed != null && parsed.hasMatchedOption(option)) {
                given.add(option.longestName());
            }
        }
        if (!given.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", given) + " given with --resume: a resumed run"
                    + " keeps the settings saved in its config.json; drop " + String.join(", ", given)
                    + " (or start a new run with --output)");
        }
        for (OptionSpec option : runOptions(spec, excluded)) {
            String key = key(option);
            if (saved.keys().contains(key)) {
                option.setValue(value(saved, key, option.type()));
            }
        }
    }

    private static List<OptionSpec> runOptions(CommandSpec spec, Set<String> excluded) {
        List<OptionSpec> out = new ArrayList<>();
        for (OptionSpec option : spec.options()) {
            if (option.usageHelp() || option.versionHelp() || excluded.contains(key(option))
                    || fromMixin(spec, option)) {
                continue;
            }
            out.add(option);
        }
        return out;
    }

    private static boolean fromMixin(CommandSpec spec, OptionSpec option) {
        for (CommandSpec mixin : spec.mixins().values()) {
            if (mixin.findOption(option.longestName()) != null) {
                return true;
            }
        }
        return false;
    }

    private static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    private static Object value(RunConfiguration saved, String key, Class<?> type) {
        if (!saved.has(key)) {
            return null;
        }
        try {
            if (type == String.class) {
                return saved.getString(key);
            } else if (type == Path.class) {
                return Path.of(saved.getString(key));
            } else if (type == int.class || type == Integer.class) {
                return saved.getInt(key);
            } else if (type == long.class || type == Long.class) {
                return saved.getLong(key);
            } else if (type == float.class || type == Float.class) {
                return saved.getFloat(key);
            } else if (type == double.class || type == Double.class) {
                return saved.getDouble(key);
            } else if (type == boolean.class || type == Boolean.class) {
                return saved.getBoolean(key);
            } else if (type.isEnum()) {
                return enumValue(type, saved.getString(key));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "config.json: '" + key + "' does not hold a " + type.getSimpleName() + " (" + e.getMessage()
                            + "): the run directory was not written by this command", e);
        }
        throw new IllegalStateException("option --" + key + " has a type (" + type + ") that cannot be restored");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> type, String name) {
        return Enum.valueOf((Class<? extends Enum>) type, name);
    }
}
