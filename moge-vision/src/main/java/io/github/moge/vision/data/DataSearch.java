package io.github.moge.vision.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The places a dataset is looked for, in order, and the record of why each one did not match, so
 * that a failed search ends in one message listing every place tried.
 *
 * <p>A directory the user named is the only place looked in: the explicit directory ({@code
 * optDataDir}/{@code --data}) alone when it is given, else the directory in {@code $MOGE_DATA} and
 * its dataset-specific subdirectories when that is set; when it does not hold the dataset, the
 * search fails listing what is missing there, rather than training on another copy. Only the
 * implicit search (neither given) goes on to a system directory and then an optional fallback that
 * is not a directory (a download). A candidate that is not an existing directory is passed over
 * without asking the dataset. Instances are immutable: each {@link #find} records its own attempts.
 */
final class DataSearch {

    /** A function that inspects one candidate directory. */
    interface Probe<T> {
        /**
         * Inspects a directory.
         *
         * @param dir the candidate, an existing directory
         * @param reason receives the reason when the directory does not match
         * @return the result when it matches, else null
         * @throws DataException when the directory matches but its content is malformed
         * @throws IOException when reading fails for another reason
         */
        T probe(Path dir, StringBuilder reason) throws IOException;
    }

    /** The last resort when no directory matches, such as a download. */
    interface Fallback<T> {
        /**
         * Tries to get the data.
         *
         * @param reason receives the reason when it does not
         * @return the result, or null
         * @throws IOException when the data it got is malformed
         */
        T fetch(StringBuilder reason) throws IOException;
    }

    private final Path explicit;
    private final String env;
    private final List<String> envSubdirs;
    private final Path systemDir;

    /**
     * Builds the standard candidate list.
     *
     * @param explicit the explicit directory, or null
     * @param env the value of {@code $MOGE_DATA}, or null
     * @param envSubdirs subdirectories of {@code $MOGE_DATA} to try, in order ("" for itself)
     * @param systemDir the system directory, or null to skip it
     */
    DataSearch(Path explicit, String env, List<String> envSubdirs, Path systemDir) {
        this.explicit = explicit;
        this.env = env;
        this.envSubdirs = List.copyOf(envSubdirs);
        this.systemDir = systemDir;
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
     * @throws IOException if reading fails for another reason
     */
    <T> T find(Probe<T> probe, String what, String howToGet) throws IOException {
        return find(probe, null, null, what + " not found; looked in:", howToGet);
    }

    /**
     * Probes the candidates in order, then the fallback, and returns the first match.
     *
     * @param probe the check applied to each directory
     * @param fallbackLabel how the fallback is named in the error message, or null for none
     * @param fallback what is tried when no directory matches, or null for nothing
     * @param header the first line of the error message
     * @param howToGet the closing hint of the error message
     * @return the first match
     * @throws DataException if nothing matches, listing every place tried, or if a match is
     *     malformed
     * @throws IOException if reading fails for another reason
     */
    <T> T find(
            Probe<T> probe,
            String fallbackLabel,
            Fallback<T> fallback,
            String header,
            String howToGet)
            throws IOException {
        List<Path> dirs = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<String> tried = new ArrayList<>();
        String named = null;
        if (explicit != null) {
            dirs.add(explicit);
            labels.add("data directory given by optDataDir/--data");
            named = "the data directory given by --data";
        } else {
            tried.add("data directory (optDataDir/--data): not given");
            if (env != null && !env.isBlank()) {
                Path root = Paths.get(env);
                for (String sub : envSubdirs) {
                    String label = "$" + FashionMnistDataset.ENV_DATA_DIR;
                    dirs.add(sub.isEmpty() ? root : root.resolve(sub));
                    labels.add(sub.isEmpty() ? label : label + "/" + sub);
                }
                named = "$" + FashionMnistDataset.ENV_DATA_DIR;
            } else {
                tried.add("$" + FashionMnistDataset.ENV_DATA_DIR + ": not set");
                if (systemDir != null) {
                    dirs.add(systemDir);
                    labels.add("system directory");
                }
            }
        }
        for (int i = 0; i < dirs.size(); i++) {
            Path dir = dirs.get(i);
            StringBuilder reason = new StringBuilder();
            T found;
            if (Files.isDirectory(dir)) {
                found = probe.probe(dir, reason);
            } else {
                reason.append(Files.exists(dir) ? "not a directory" : "no such directory");
                found = null;
            }
            if (found != null) {
                return found;
            }
            tried.add(labels.get(i) + " " + dir + ": " + reason);
        }
        if (named != null) {
            // A named directory is never silently replaced by another copy of the data.
            StringBuilder sb = new StringBuilder(header);
            appendTried(sb, tried);
            sb.append("\n")
                    .append(named)
                    .append(" does not hold the dataset; the system copy and downloads are")
                    .append(" tried only when neither --data nor $")
                    .append(FashionMnistDataset.ENV_DATA_DIR)
                    .append(" is set. ")
                    .append(howToGet);
            throw new DataException(sb.toString());
        }
        if (fallback != null) {
            StringBuilder reason = new StringBuilder();
            T found = fallback.fetch(reason);
            if (found != null) {
                return found;
            }
            tried.add(fallbackLabel + ": " + reason);
        }
        StringBuilder sb = new StringBuilder(header);
        appendTried(sb, tried);
        sb.append('\n').append(howToGet);
        throw new DataException(sb.toString());
    }

    private static void appendTried(StringBuilder sb, List<String> tried) {
        for (int i = 0; i < tried.size(); i++) {
            sb.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        }
    }
}
