package io.github.moge.lm.inference;

import io.github.moge.lm.data.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a user's text into the words of a trained vocabulary: on white space, as the corpora are
 * stored (Brown's tokens and WikiText's are space-separated, punctuation included), lower-cased
 * when the run lower-cased its corpus; words the vocabulary lacks become {@link Vocabulary#UNK}.
 * Punctuation written against a word ({@code "jury,"}) is one unknown word, as it would be in the
 * corpus: separate it with spaces.
 */
public final class TextWords {

    private TextWords() {}

    /**
     * Returns the words of a text.
     *
     * @param text the text
     * @param lowercase whether to lower-case every word (the run's setting)
     * @return the words in order, possibly empty
     */
    public static List<String> split(String text, boolean lowercase) {
        List<String> words = new ArrayList<>();
        for (String word : text.strip().split("\\s+")) {
            if (!word.isEmpty()) {
                words.add(lowercase ? word.toLowerCase(Locale.ROOT) : word);
            }
        }
        return words;
    }

    /**
     * Returns the ids of a text's words.
     *
     * @param text the text
     * @param lowercase whether to lower-case every word
     * @param vocabulary the trained vocabulary
     * @return the ids, unknown words as the UNK id
     * @throws IllegalArgumentException if the text has no words
     */
    public static int[] encode(String text, boolean lowercase, Vocabulary vocabulary) {
        List<String> words = split(text, lowercase);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("the text has no words: give at least one word");
        }
        return vocabulary.encode(words);
    }
}
