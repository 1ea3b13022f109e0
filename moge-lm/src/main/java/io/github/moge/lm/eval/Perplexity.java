package io.github.moge.lm.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates token negative log-likelihoods (in nats) and reports perplexity = exp(total /
 * tokens); it also keeps each token's NLL when given ({@link #record(float[])}), for a bootstrap
 * over test tokens when runs are compared.
 */
public final class Perplexity {

    private double totalNll;
    private long tokens;
    private final List<float[]> perToken = new ArrayList<>();

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

    /**
     * Keeps the NLL of each token of a batch (the batch's sum and count go to {@link #add}).
     *
     * @param nll the tokens' NLLs, in scoring order
     */
    public void record(float[] nll) {
        perToken.add(nll.clone());
    }

    /**
     * Returns every recorded token NLL in scoring order.
     *
     * @return the values, empty if none were recorded
     */
    public float[] tokenNll() {
        int n = 0;
        for (float[] chunk : perToken) {
            n += chunk.length;
        }
        float[] out = new float[n];
        int i = 0;
        for (float[] chunk : perToken) {
            System.arraycopy(chunk, 0, out, i, chunk.length);
            i += chunk.length;
        }
        return out;
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
