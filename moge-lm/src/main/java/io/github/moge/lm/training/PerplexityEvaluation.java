package io.github.moge.lm.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import io.github.moge.core.training.EpochEvaluation;
import io.github.moge.lm.data.StreamBatcher;
import io.github.moge.lm.eval.LmEvaluator;
import io.github.moge.lm.eval.Perplexity;
import io.github.moge.lm.model.MoeTransformerLm;
import java.util.List;

/**
 * Perplexity of a language model on a token stream, every token scored once with the memory carried
 * across blocks ({@link LmEvaluator}), in inference mode (no dropout, no routing noise). As an
 * {@link EpochEvaluation} it measures the validation stream after every epoch; {@code TrainingRun}
 * records it in {@code epochs.csv} as {@code validation_perplexity}.
 */
public final class PerplexityEvaluation implements EpochEvaluation {

    /** The name of the value (the {@code epochs.csv} column is {@code validation_perplexity}). */
    public static final String NAME = "perplexity";

    private final MoeTransformerLm lm;
    private final StreamBatcher blocks;

    /**
     * Creates the evaluation.
     *
     * @param lm the model
     * @param stream the token ids to score
     * @param rows the parallel evaluation streams
     * @param block tokens per block
     */
    public PerplexityEvaluation(MoeTransformerLm lm, int[] stream, int rows, int block) {
        this.lm = lm;
        this.blocks = new StreamBatcher(stream, rows, block, true);
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return List.of(NAME);
    }

    /** {@inheritDoc} */
    @Override
    public double[] evaluate(Trainer trainer, int epoch) {
        return new double[] {measure(trainer.getManager()).value()};
    }

    /**
     * Scores the stream with the model's current parameters.
     *
     * @param manager the parent of the per-block managers (closed before returning)
     * @return the accumulated perplexity
     */
    public Perplexity measure(NDManager manager) {
        ParameterStore store = new ParameterStore(manager, false);
        return LmEvaluator.evaluate(
                blocks,
                manager,
                m -> lm.initialMemory(m, blocks.getBatchSize()),
                (tokens, memory) -> lm.forward(store, new NDList(tokens).addAll(memory), false));
    }
}
