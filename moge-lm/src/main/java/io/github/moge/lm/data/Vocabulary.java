package io.github.moge.lm.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A word vocabulary: ids 0..V-1 in order of first appearance, with an unknown-word token every
 * out-of-vocabulary word maps to.
 */
public final class Vocabulary {

    /** The unknown-word token (WikiText's own spelling). */
    public static final String UNK = "<unk>";

    /** The end-of-line token appended to every line of WikiText. */
    public static final String EOS = "<eos>";

    private final List<String> words;
    private final Map<String, Integer> ids;
    private final int unkId;

    private Vocabulary(List<String> words) {
        this.words = Collections.unmodifiableList(new ArrayList<>(words));
        this.ids = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            ids.put(words.get(i), i);
        }
        this.unkId = ids.getOrDefault(UNK, -1);
    }

    /**
     * Builds a vocabulary from training words: every word seen more than {@code maxRareCount} times
     * keeps its own id, in order of first appearance; the others share {@link #UNK}, which is
     * always present.
     *
     * @param trainingWords the training stream
     * @param maxRareCount words seen this many times or fewer map to UNK (0 keeps every word)
     * @return the vocabulary
     */
    public static Vocabulary fromTraining(List<String> trainingWords, int maxRareCount) {
        if (maxRareCount < 0) {
            throw new IllegalArgumentException("maxRareCount must be >= 0, got " + maxRareCount);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String word : trainingWords) {
            counts.merge(word, 1, Integer::sum);
        }
        List<String> kept = new ArrayList<>();
        boolean unkSeen = false;
        for (Map.Entry<String, Integer> entry : counts.entrySet()) {
            if (entry.getKey().equals(UNK)) {
                unkSeen = true;
                kept.add(UNK);
            } else if (entry.getValue() > maxRareCount) {
                kept.add(entry.getKey());
            }
        }
        if (!unkSeen) {
            kept.add(UNK);
        }
        return new Vocabulary(kept);
    }

    /**
     * Maps words to ids, unknown words to the UNK id.
     *
     * @param words the words
     * @return their ids
     */
    public int[] encode(List<String> words) {
        int[] out = new int[words.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.getOrDefault(words.get(i), unkId);
        }
        return out;
    }

    /**
     * Returns the id of a word, or the UNK id.
     *
     * @param word the word
     * @return its id
     */
    public int id(String word) {
        return ids.getOrDefault(word, unkId);
    }

    /**
     * Returns the word with an id.
     *
     * @param id 0..V-1
     * @return the word
     */
    public String word(int id) {
        return words.get(id);
    }

    /** {@return V, the number of distinct ids} */
    public int size() {
        return words.size();
    }

    /** {@return the UNK id} */
    public int getUnkId() {
        return unkId;
    }

    /** {@return the words in id order} */
    public List<String> getWords() {
        return words;
    }
}
