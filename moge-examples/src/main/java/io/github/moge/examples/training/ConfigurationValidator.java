package io.github.moge.examples.training;

import io.github.moge.core.TopographicMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * Checks a command's settings before any compute and reports every problem at once, one line each
 * with the fix. Option names are passed in so messages name the flag the user typed.
 *
 * <pre>{@code
 * new ConfigurationValidator()
 *         .requireKnown("--preset", preset, Presets.names())
 *         .requireTopK("--top-k", k, "--experts", experts)
 *         .requireMapFits("--experts", TopographicMap.forExperts(experts), 3)
 *         .requireBatchCoversDevices("--batch-size", batch, devices)
 *         .requireDataPath("--data-dir", dataDir)
 *         .requireWritableOutput("--output", output)
 *         .validate();                      // throws ConfigurationException listing all problems
 * }</pre>
 */
public final class ConfigurationValidator {

    private final List<String> problems = new ArrayList<>();

    /** Creates a validator with no problems recorded. */
    public ConfigurationValidator() {}

    /**
     * Requires a name to be one of the known ones (presets, datasets, modes).
     *
     * @param option the option, e.g. "--preset"
     * @param value the given name
     * @param known the accepted names
     * @return this validator
     */
    public ConfigurationValidator requireKnown(
            String option, String value, Collection<String> known) {
        if (value == null || !known.contains(value)) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "unknown %s '%s': choose one of %s",
                            option,
                            value,
                            String.join(", ", new TreeSet<>(known))));
        }
        return this;
    }

    /**
     * Requires the topographic map to hold the regularizer's f x f filter ({@link
     * TopographicMap#requireFits}).
     *
     * @param option the option that sets the number of experts or the map, e.g. "--experts"
     * @param map the map
     * @param filterSize f
     * @return this validator
     */
    public ConfigurationValidator requireMapFits(
            String option, TopographicMap map, int filterSize) {
        try {
            map.requireFits(filterSize);
        } catch (IllegalArgumentException e) {
            problems.add(option + ": " + e.getMessage());
        }
        return this;
    }

    /**
     * Requires 1 &lt;= k &lt;= E.
     *
     * @param topKOption the option that sets k
     * @param topK k
     * @param expertsOption the option that sets E
     * @param experts E
     * @return this validator
     */
    public ConfigurationValidator requireTopK(
            String topKOption, int topK, String expertsOption, int experts) {
        if (topK < 1 || topK > experts) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %d is not in 1..%d (%s %d): each token picks k of the E experts;"
                                    + " set %s to at most %d or raise %s",
                            topKOption,
                            topK,
                            experts,
                            expertsOption,
                            experts,
                            topKOption,
                            Math.max(1, experts),
                            expertsOption));
        }
        return this;
    }

    /**
     * Requires at least one sample per device.
     *
     * @param option the batch-size option
     * @param batchSize the batch size
     * @param devices the number of devices the batch is split over
     * @return this validator
     */
    public ConfigurationValidator requireBatchCoversDevices(
            String option, int batchSize, int devices) {
        if (batchSize < Math.max(1, devices)) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %d is smaller than the %d devices it is split over: every device"
                                    + " needs at least one sample; set %s to at least %d (ideally a"
                                    + " multiple of %d) or use fewer devices",
                            option,
                            batchSize,
                            devices,
                            option,
                            Math.max(1, devices),
                            Math.max(1, devices)));
        }
        return this;
    }

    /**
     * Requires a data file or directory to exist and be readable.
     *
     * @param option the option that sets it, e.g. "--data-dir"
     * @param path the path
     * @return this validator
     */
    public ConfigurationValidator requireDataPath(String option, Path path) {
        if (path == null) {
            problems.add(option + " is not set: point it at the dataset files");
        } else if (!Files.exists(path)) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %s does not exist: point %s at the downloaded dataset (see the"
                                    + " command's --help)",
                            option,
                            path,
                            option));
        } else if (!Files.isReadable(path)) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %s is not readable by this user: fix its permissions or copy the"
                                    + " data elsewhere",
                            option,
                            path));
        }
        return this;
    }

    /**
     * Requires that an output directory exists and is writable, or can be created (its nearest
     * existing ancestor is a writable directory). Probes by creating and deleting a temporary file;
     * nothing else is created.
     *
     * @param option the option that sets it, e.g. "--output"
     * @param directory the directory
     * @return this validator
     */
    public ConfigurationValidator requireWritableOutput(String option, Path directory) {
        if (directory == null) {
            problems.add(option + " is not set: give a directory for checkpoints and metrics");
            return this;
        }
        Path probe = directory.toAbsolutePath();
        while (probe != null && !Files.exists(probe)) {
            probe = probe.getParent();
        }
        String fix = "; choose another " + option + " or fix the permissions";
        if (probe == null) {
            problems.add(option + " " + directory + " has no existing parent directory" + fix);
        } else if (!Files.isDirectory(probe)) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %s cannot be created: %s is a file, not a directory%s",
                            option,
                            directory,
                            probe,
                            fix));
        } else if (!canWrite(probe)) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %s is not writable (%s refuses new files)%s",
                            option,
                            directory,
                            probe,
                            fix));
        }
        return this;
    }

    private static boolean canWrite(Path dir) {
        try {
            Path file = Files.createTempFile(dir, ".moge-write-probe", ".tmp");
            Files.delete(file);
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * Requires a number to be finite and within {@code [min, max]} (either bound may be infinite:
     * no bound). A null value (the option not given) passes.
     *
     * @param option the option, e.g. "--mixup"
     * @param value the given value, or null
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return this validator
     */
    public ConfigurationValidator requireInRange(
            String option, Number value, double min, double max) {
        return requireInRange(option, value, min, false, max);
    }

    /**
     * Requires a number to be finite and within {@code [min, max]}, or {@code (min, max]} when
     * {@code minExclusive}. A null value (the option not given) passes.
     *
     * @param option the option, e.g. "--lr"
     * @param value the given value, or null
     * @param min the lower bound
     * @param minExclusive whether the lower bound itself is refused
     * @param max the largest allowed value ({@code Double.POSITIVE_INFINITY}: no bound)
     * @return this validator
     */
    public ConfigurationValidator requireInRange(
            String option, Number value, double min, boolean minExclusive, double max) {
        if (value == null) {
            return this;
        }
        double v = value.doubleValue();
        boolean ok = Double.isFinite(v) && (minExclusive ? v > min : v >= min) && v <= max;
        if (!ok) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "%s %s is out of range: allowed %s",
                            option,
                            value,
                            range(min, minExclusive, max)));
        }
        return this;
    }

    /**
     * {@link #requireInRange(String, Number, double, double)} for an option of a parsed command
     * line that the command does not hold itself (e.g. one of a mixin); passes when it was not
     * given.
     *
     * @param spec the command (null outside a command line)
     * @param option the option, e.g. "--clip-grad-norm"
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return this validator
     */
    public ConfigurationValidator requireGivenInRange(
            CommandSpec spec, String option, double min, double max) {
        ParseResult parsed = spec == null ? null : spec.commandLine().getParseResult();
        if (parsed == null || !parsed.hasMatchedOption(option)) {
            return this;
        }
        Object value = parsed.matchedOptionValue(option, null);
        return value instanceof Number n ? requireInRange(option, n, min, max) : this;
    }

    /**
     * Describes an allowed range for messages, e.g. {@code "a finite number >= 0"} or {@code "[0,
     * 1]"}.
     */
    static String range(double min, boolean minExclusive, double max) {
        boolean noMin = min == Double.NEGATIVE_INFINITY;
        boolean noMax = max == Double.POSITIVE_INFINITY;
        if (noMin && noMax) {
            return "a finite number";
        }
        if (noMax) {
            return "a finite number " + (minExclusive ? "> " : ">= ") + number(min);
        }
        if (noMin) {
            return "a finite number <= " + number(max);
        }
        return (minExclusive ? "(" : "[") + number(min) + ", " + number(max) + "]";
    }

    private static String number(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15
                ? Long.toString((long) x)
                : Double.toString(x);
    }

    /**
     * Records a problem when a condition fails.
     *
     * @param ok the condition
     * @param problem the one-line problem and fix
     * @return this validator
     */
    public ConfigurationValidator check(boolean ok, String problem) {
        if (!ok) {
            problems.add(problem);
        }
        return this;
    }

    /** {@return the problems found so far} */
    public List<String> getProblems() {
        return List.copyOf(problems);
    }

    /**
     * Throws if any problem was found.
     *
     * @throws ConfigurationException listing every problem, one per line
     */
    public void validate() {
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
    }
}
