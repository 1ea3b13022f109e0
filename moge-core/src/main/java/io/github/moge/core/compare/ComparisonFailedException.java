package io.github.moge.core.compare;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Some runs of a comparison failed; the finished ones are saved, so a later invocation runs only
 * the failed and unstarted ones.
 */
public final class ComparisonFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Map<String, Throwable> failures;

    /**
     * Creates the exception.
     *
     * @param failures the cause of each failed run, by run name ({@code "seed S ARM"})
     */
    public ComparisonFailedException(Map<String, Throwable> failures) {
        super(
                failures.size()
                        + " run(s) failed: "
                        + failures.entrySet().stream()
                                .map(e -> e.getKey() + ": " + e.getValue())
                                .collect(Collectors.joining("; ")),
                failures.values().iterator().next());
        this.failures = Collections.unmodifiableMap(new LinkedHashMap<>(failures));
        failures.values().stream().skip(1).forEach(this::addSuppressed);
    }

    /** {@return the cause of each failed run, by run name} */
    public Map<String, Throwable> getFailures() {
        return failures;
    }
}
