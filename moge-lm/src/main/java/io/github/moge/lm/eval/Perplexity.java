package io.github.moge.lm.eval;

/**
 * Accumulates token negative log-likelihoods (in nats) and reports perplexity = exp(total /
 * tokens).
 */
public final class Perplexity {

    private double totalNll;
    private long tokens;

    /**
     * Adds a batch.
     *
     * @param nllSum the sum of the batch's token NLLs
     * @param count the number of tokens in it
     */
    public void add(double nllSum, long count) {
        if (count < 0 || !Double.isFinite(nllSum)) {
            throw new IllegalArgumentException("bad batch: nll sum " + nllSum + ", count " + count);
        }
        totalNll += nllSum;
        tokens += count;
    }

    /** {@return the mean NLL per token in nats} */
    public double meanNll() {
        if (tokens == 0) {
            throw new IllegalStateException("no tokens were added");
        }
        return totalNll / tokens;
    }

    /** {@return the perplexity, exp of the mean NLL} */
    public double value() {
        return Math.exp(meanNll());
    }

    /** {@return the number of tokens scored} */
    public long getTokens() {
        return tokens;
    }
}
