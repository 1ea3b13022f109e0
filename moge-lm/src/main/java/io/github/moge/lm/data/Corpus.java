package io.github.moge.lm.data;

/**
 * A word-level language-modelling corpus: a vocabulary and the train, validation and test streams
 * as ids.
 */
public final class Corpus {

    private final String name;
    private final Vocabulary vocabulary;
    private final int[] train;
    private final int[] valid;
    private final int[] test;

    /**
     * Creates a corpus.
     *
     * @param name a short description, e.g. "brown" or "wikitext-103"
     * @param vocabulary the vocabulary (from the training split)
     * @param train training ids
     * @param valid validation ids
     * @param test test ids
     */
    public Corpus(String name, Vocabulary vocabulary, int[] train, int[] valid, int[] test) {
        this.name = name;
        this.vocabulary = vocabulary;
        this.train = train;
        this.valid = valid;
        this.test = test;
    }

    /** {@return the name} */
    public String getName() {
        return name;
    }

    /** {@return the vocabulary} */
    public Vocabulary getVocabulary() {
        return vocabulary;
    }

    /** {@return the training stream} */
    public int[] getTrain() {
        return train;
    }

    /** {@return the validation stream} */
    public int[] getValid() {
        return valid;
    }

    /** {@return the test stream} */
    public int[] getTest() {
        return test;
    }

    /**
     * Returns the perplexity of the training unigram distribution (add-one smoothed) on a stream:
     * the baseline a language model must beat.
     *
     * @param stream ids to score
     * @return exp of the mean negative log-probability
     */
    public double unigramPerplexity(int[] stream) {
        double[] counts = new double[vocabulary.size()];
        for (int id : train) {
            counts[id]++;
        }
        double total = train.length + counts.length;
        double nll = 0;
        for (int id : stream) {
            nll -= Math.log((counts[id] + 1) / total);
        }
        return Math.exp(nll / stream.length);
    }

    @Override
    public String toString() {
        return String.format(
                "%s: V=%d, train %d, valid %d, test %d tokens",
                name, vocabulary.size(), train.length, valid.length, test.length);
    }
}
