package io.github.moge.lm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.moge.lm.data.StreamBatcher;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Perplexity closed forms and the memory hand-off of the evaluator. */
class LmEvaluatorTest {

    private static int[] stream(int n, int vocabulary) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (i * 7 + 3) % vocabulary;
        }
        return out;
    }

    @Test
    void uniformModelHasPerplexityEqualToTheVocabularySize() {
        int vocabulary = 37;
        try (NDManager manager = NDManager.newBaseManager()) {
            StreamBatcher data = new StreamBatcher(stream(1001, vocabulary), 4, 16, true);
            Perplexity ppl =
                    LmEvaluator.evaluate(
                            data,
                            manager,
                            m -> new NDList(),
                            (tokens, memory) ->
                                    new NDList(
                                            tokens.getManager()
                                                    .zeros(tokens.getShape().add(vocabulary))));
            assertEquals(vocabulary, ppl.value(), 1e-3);
            assertEquals(data.predictedTokens(), ppl.getTokens());
            assertEquals(4 * 249, ppl.getTokens());
        }
    }

    @Test
    void aModelSureOfTheRightTokenHasPerplexityOne() {
        int vocabulary = 11;
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] ids = stream(200, vocabulary);
            StreamBatcher data = new StreamBatcher(ids, 2, 8, true);
            // next token is (t * 7 + 3 + 7) mod V given t's id: emit a huge logit there
            Perplexity ppl =
                    LmEvaluator.evaluate(
                            data,
                            manager,
                            m -> new NDList(),
                            (tokens, memory) -> {
                                NDArray next = tokens.add(7).mod(vocabulary);
                                NDArray oneHot = next.oneHot(vocabulary).mul(100f);
                                return new NDList(oneHot);
                            });
            assertEquals(1.0, ppl.value(), 1e-6);
        }
    }

    @Test
    void memoryReturnedByABlockIsTheMemoryOfTheNextBlock() {
        try (NDManager manager = NDManager.newBaseManager()) {
            StreamBatcher data = new StreamBatcher(stream(100, 5), 2, 10, true);
            List<Float> seen = new ArrayList<>();
            LmEvaluator.evaluate(
                    data,
                    manager,
                    m -> new NDList(m.create(0f)),
                    (tokens, memory) -> {
                        seen.add(memory.get(0).getFloat());
                        return new NDList(
                                tokens.getManager().zeros(tokens.getShape().add(5)),
                                memory.get(0).add(1f));
                    });
            // 49 predictable columns per row -> 5 blocks, memory counts them
            assertEquals(List.of(0f, 1f, 2f, 3f, 4f), seen);
        }
    }

    @Test
    void perplexityArithmetic() {
        Perplexity p = new Perplexity();
        p.add(Math.log(2) + Math.log(4), 2);
        p.add(Math.log(8) + Math.log(16), 2);
        // exp of the mean NLL = geometric mean of 1 / p: (2 * 4 * 8 * 16)^(1/4) = 1024^(1/4)
        assertEquals(Math.pow(1024, 0.25), p.value(), 1e-12);
        assertEquals(4, p.getTokens());
        assertThrows(IllegalStateException.class, () -> new Perplexity().value());
    }
}
