package io.github.moge.lm.inference;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import io.github.moge.lm.data.Vocabulary;
import io.github.moge.lm.model.MoeTransformerLm;
import java.util.Arrays;
import java.util.Objects;

/**
 * The probabilities of the word that follows a text, under a trained language model. The text's
 * words ({@link TextWords}) are read in blocks of the run's length with the memory carried from
 * block to block, as perplexity is evaluated, so every word of the text is context up to the
 * attention span; the last block goes to the predictor and the softmax of its last position's
 * logits over the vocabulary is the output ({@code Classifications.topK(n)}: the n likeliest next
 * words).
 *
 * <p>Use it with {@code model.newPredictor(translator)} on the model that holds the trained {@link
 * MoeTransformerLm}. One text per call: the memory of a stream is per row.
 */
public final class NextWordTranslator implements NoBatchifyTranslator<String, Classifications> {

    private final MoeTransformerLm lm;
    private final Vocabulary vocabulary;
    private final int block;
    private final boolean lowercase;

    /**
     * Creates the translator.
     *
     * @param lm the trained model (the block of the predictor's model)
     * @param vocabulary the run's vocabulary
     * @param block the run's tokens per block
     * @param lowercase whether the run lower-cased its corpus
     */
    public NextWordTranslator(
            MoeTransformerLm lm, Vocabulary vocabulary, int block, boolean lowercase) {
        this.lm = Objects.requireNonNull(lm, "lm");
        this.vocabulary = Objects.requireNonNull(vocabulary, "vocabulary");
        if (block < 1) {
            throw new IllegalArgumentException("block must be >= 1, got " + block);
        }
        if (vocabulary.size() != lm.getVocabularySize()) {
            throw new IllegalArgumentException(
                    "the vocabulary has "
                            + vocabulary.size()
                            + " words but the model "
                            + lm.getVocabularySize()
                            + ": use the vocabulary of the run that trained it");
        }
        this.block = block;
        this.lowercase = lowercase;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, String text) {
        int[] ids = TextWords.encode(text, lowercase, vocabulary);
        NDManager manager = ctx.getNDManager();
        int last = (ids.length - 1) / block * block; // start of the block given to the predictor
        NDManager memoryScope = manager.newSubManager();
        NDList memory = lm.initialMemory(memoryScope, 1);
        ParameterStore store = new ParameterStore(manager, false);
        for (int start = 0; start < last; start += block) {
            NDManager nextScope = manager.newSubManager();
            try (NDManager scope = manager.newSubManager()) {
                NDArray tokens =
                        scope.create(
                                Arrays.copyOfRange(ids, start, start + block), new Shape(1, block));
                NDList out = lm.forward(store, new NDList(tokens).addAll(memory), false);
                NDList next = new NDList();
                for (int l = 0; l < memory.size(); l++) {
                    next.add(out.get(l + 1));
                }
                next.attach(nextScope);
                memory = next;
            }
            memoryScope.close();
            memoryScope = nextScope;
        }
        memory.attach(manager);
        memoryScope.close();
        NDArray tokens =
                manager.create(
                        Arrays.copyOfRange(ids, last, ids.length), new Shape(1, ids.length - last));
        return new NDList(tokens).addAll(memory);
    }

    /** {@inheritDoc} */
    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.head(); // [1, T, V]
        NDArray next = logits.get(new NDIndex("0, -1")).softmax(-1);
        return new Classifications(vocabulary.getWords(), next);
    }
}
