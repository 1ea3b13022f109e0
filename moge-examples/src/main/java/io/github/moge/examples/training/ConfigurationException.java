package io.github.moge.examples.training;

import java.util.List;

/**
 * A run configuration that cannot work, found before any compute. The message is one line per
 * problem, each naming the setting and the fix.
 */
public final class ConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** One line per problem. */
    private final List<String> problems;

    /**
     * Creates the exception.
     *
     * @param problems one line per problem
     */
    public ConfigurationException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    /** {@return the problems, one line each} */
    public List<String> getProblems() {
        return problems;
    }
}
