package io.github.moge.lm.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * Mean next-token cross-entropy (nats per token) of logits [B, M, V] against labels [B, M]. It
 * flattens to [B*M, V] before picking the label's log-probability, which sidesteps DJL's
 * SoftmaxCrossEntropyLoss breaking on (B, T, V) when B != T.
 */
public final class TokenCrossEntropyLoss extends Loss {

    /** Creates the loss, named "ce". */
    public TokenCrossEntropyLoss() {
        super("ce");
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return negativeLogLikelihood(predictions.head(), labels.head()).mean();
    }

    /**
     * Returns the negative log-likelihood of every label.
     *
     * @param logits [..., V] unnormalised scores
     * @param labels [...] integer ids
     * @return [N] per-token NLL, N the number of labels
     */
    public static NDArray negativeLogLikelihood(NDArray logits, NDArray labels) {
        long vocabulary = logits.getShape().get(logits.getShape().dimension() - 1);
        NDArray logProbs = logits.reshape(-1, vocabulary).logSoftmax(1);
        NDArray index = labels.reshape(-1, 1).toType(DataType.INT64, false);
        return logProbs.gather(index, 1).reshape(-1).neg();
    }
}
