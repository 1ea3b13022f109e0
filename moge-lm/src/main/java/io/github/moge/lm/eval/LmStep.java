package io.github.moge.lm.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * One forward step of a language model over a block of B streams: the seam between batching code
 * and a model that carries state (the attention memory) from one block to the next.
 */
@FunctionalInterface
public interface LmStep {

    /**
     * Runs the model on one block.
     *
     * @param tokens [B, M] token ids
     * @param memory the state the previous block of the same streams returned (the initial memory
     *     for the first block)
     * @return (logits [B, M, V], next memory entries in the same order as {@code memory}, then
     *     anything else, e.g. auxiliary terms)
     */
    NDList apply(NDArray tokens, NDList memory);
}
