package io.github.moge.lm.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.moge.lm.data.StreamBatcher;
import java.util.function.Function;

/**
 * Perplexity of a language model on a token stream, evaluated block after block with the memory
 * carried across blocks of the same rows, so every token is scored with the same context it would
 * have in one long pass (up to the attention span). Each block runs in its own NDManager scope.
 */
public final class LmEvaluator {

    private LmEvaluator() {}

    /**
     * Scores every predictable token of the batcher's rows.
     *
     * @param data the blocks (use {@code includePartial = true} to score every token)
     * @param manager the parent manager; blocks and memories live in sub-managers of it
     * @param initialMemory builds the first block's memory on a given manager for B rows
     * @param step the model step
     * @return the perplexity accumulator
     */
    public static Perplexity evaluate(
            StreamBatcher data,
            NDManager manager,
            Function<NDManager, NDList> initialMemory,
            LmStep step) {
        Perplexity perplexity = new Perplexity();
        NDManager memoryScope = manager.newSubManager();
        NDList memory = initialMemory.apply(memoryScope);
        try {
            for (int j = 0; j < data.size(); j++) {
                NDManager nextScope = manager.newSubManager();
                try (NDManager scope = manager.newSubManager()) {
                    NDList batch = data.get(scope, j);
                    NDList out = step.apply(batch.get(0), memory);
                    NDArray nll =
                            TokenCrossEntropyLoss.negativeLogLikelihood(out.head(), batch.get(1));
                    perplexity.add(nll.sum().getFloat(), nll.size());
                    perplexity.record(nll.toFloatArray());
                    NDList next = new NDList();
                    for (int l = 0; l < memory.size(); l++) {
                        next.add(out.get(l + 1));
                    }
                    next.attach(nextScope);
                    memory = next;
                } catch (RuntimeException e) {
                    nextScope.close();
                    throw e;
                }
                memoryScope.close();
                memoryScope = nextScope;
            }
        } finally {
            memoryScope.close();
        }
        return perplexity;
    }
}
