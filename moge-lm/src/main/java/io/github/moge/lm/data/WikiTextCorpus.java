package io.github.moge.lm.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads word-level WikiText-103 or WikiText-2: a directory holding {@code wiki.train.tokens},
 * {@code wiki.valid.tokens} and {@code wiki.test.tokens} (the "wikitext-103" / "wikitext-2"
 * archives, not the "-raw" ones). Every line is split on spaces and followed by {@code <eos>},
 * empty lines included, as in the reference language-model code; the vocabulary is every word of
 * the training file (WikiText already maps rare words to {@code <unk>}), and words of valid/test
 * absent from it map to {@code <unk>}.
 *
 * <p>Nothing is downloaded. DJL's {@code ai.djl.basicdataset.nlp.WikiText2} can fetch WikiText-2
 * when online; this reader needs the files on disk.
 */
public final class WikiTextCorpus {

    /** The three file names. */
    public static final String[] FILES = {
        "wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"
    };

    private WikiTextCorpus() {}

    /**
     * Loads a WikiText directory.
     *
     * @param directory the directory with the three token files
     * @return the corpus
     * @throws IOException if a file is missing or unreadable
     */
    public static Corpus load(Path directory) throws IOException {
        for (String file : FILES) {
            if (!Files.isRegularFile(directory.resolve(file))) {
                throw new NoSuchFileException(
                        directory.resolve(file).toString(),
                        null,
                        "WikiText needs wiki.train.tokens, wiki.valid.tokens and wiki.test.tokens"
                                + " in "
                                + directory.toAbsolutePath()
                                + ". Unpack wikitext-103-v1.zip (or wikitext-2-v1.zip) from the"
                                + " WikiText release there; this machine cannot download it.");
            }
        }
        List<String> train = readWords(directory.resolve(FILES[0]));
        Vocabulary vocabulary = Vocabulary.fromTraining(train, 0);
        return new Corpus(
                "wikitext:" + directory.getFileName(),
                vocabulary,
                vocabulary.encode(train),
                vocabulary.encode(readWords(directory.resolve(FILES[1]))),
                vocabulary.encode(readWords(directory.resolve(FILES[2]))));
    }

    /**
     * Reads one token file: each line's space-separated words followed by {@code <eos>}.
     *
     * @param file the file
     * @return the words
     * @throws IOException if it cannot be read
     */
    public static List<String> readWords(Path file) throws IOException {
        List<String> words = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                for (String word : line.trim().split(" +")) {
                    if (!word.isEmpty()) {
                        words.add(word);
                    }
                }
                words.add(Vocabulary.EOS);
            }
        }
        return words;
    }
}
