package io.github.moge.core.training;

import ai.djl.training.Trainer;
import java.io.IOException;
import java.util.List;

/**
 * Extra measurements after every epoch that do not fit an evaluator on (labels, predictions): test
 * accuracy with routing statistics, perplexity with a carried memory, expert usage. Their values
 * are recorded in {@code epochs.csv} as {@code validation_<name>} and in {@link
 * io.github.moge.core.training.log.EpochRecord#getValidation()}, so they survive a resume like the
 * other epoch metrics. The engine has been reseeded for validation.
 */
public interface EpochEvaluation {

    /**
     * Returns the names of the values, fixed for the run (they are CSV columns).
     *
     * @return the names
     */
    List<String> names();

    /**
     * Measures the model after an epoch.
     *
     * @param trainer the trainer (not training: use {@code trainer.evaluate} or a non-training
     *     parameter store), arrays in sub-managers of {@code trainer.getManager()} closed before
     *     returning
     * @param epoch the epoch just finished, 0-based
     * @return one value per name
     * @throws IOException if data cannot be read
     */
    double[] evaluate(Trainer trainer, int epoch) throws IOException;
}
