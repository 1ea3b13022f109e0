package io.github.moge.vision.data;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The places a dataset is looked for, in order, and the record of why each one did not match, so
 * that a failed search ends in one message listing every place tried.
 *
 * <p>The order is always: the explicit directory ({@code optDataDir}/{@code --data}), then the
 * directory in {@code $MOGE_DATA} and/or its dataset-specific subdirectories, then a system
 * directory.
 */
final class DataSearch {

    /** A function that inspects one candidate directory. */
    interface Probe<T> {
        /**
         * Inspects a directory.
         *
         * @param dir the candidate
         * @param reason receives the reason when the directory does not match
         * @return the result when it matches, else null
         * @throws DataException when the directory matches but its content is malformed
         */
        T probe(Path dir, StringBuilder reason) throws java.io.IOException;
    }

    private final List<Path> dirs = new ArrayList<>();
    private final List<String> labels = new ArrayList<>();
    private final List<String> tried = new ArrayList<>();

    /**
     * Builds the standard candidate list.
     *
     * @param explicit the explicit directory, or null
     * @param env the value of {@code $MOGE_DATA}, or null
     * @param envSubdirs subdirectories of {@code $MOGE_DATA} to try, in order ("" for itself)
     * @param systemDir the system directory, or null to skip it
     */
    DataSearch(Path explicit, String env, List<String> envSubdirs, Path systemDir) {
        if (explicit != null) {
            add(explicit, "data directory given by optDataDir/--data");
        } else {
            tried.add("data directory (optDataDir/--data): not given");
        }
        if (env != null && !env.isBlank()) {
            Path root = Paths.get(env);
            for (String sub : envSubdirs) {
                if (sub.isEmpty()) {
                    add(root, "$" + FashionMnistDataset.ENV_DATA_DIR);
                } else {
                    add(root.resolve(sub), "$" + FashionMnistDataset.ENV_DATA_DIR + "/" + sub);
                }
            }
        } else {
            tried.add("$" + FashionMnistDataset.ENV_DATA_DIR + ": not set");
        }
        if (systemDir != null) {
            add(systemDir, "system directory");
        }
    }

    private void add(Path dir, String label) {
        dirs.add(dir);
        labels.add(label);
    }

    /**
     * Probes the candidates in order and returns the first match.
     *
     * @param probe the check applied to each directory
     * @param what what was looked for, e.g. "CIFAR-100 training data (train.bin)"
     * @param howToGet the closing hint of the error message
     * @return the first match
     * @throws DataException if no candidate matches, listing every place tried, or if a matching
     *     candidate is malformed
     */
    <T> T find(Probe<T> probe, String what, String howToGet) throws java.io.IOException {
        for (int i = 0; i < dirs.size(); i++) {
            StringBuilder reason = new StringBuilder();
            T found = probe.probe(dirs.get(i), reason);
            if (found != null) {
                return found;
            }
            tried.add(labels.get(i) + " " + dirs.get(i) + ": " + reason);
        }
        StringBuilder sb = new StringBuilder(what).append(" not found; looked in:");
        for (int i = 0; i < tried.size(); i++) {
            sb.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        }
        sb.append('\n').append(howToGet);
        throw new DataException(sb.toString());
    }
}
