package io.github.moge.lm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.data.Vocabulary;
import io.github.moge.lm.model.MoeTransformerLm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two uninterrupted runs of the language model with the same seed end with the same parameters, bit
 * for bit, on CPU with the engine's default (multi-threaded) intra-op pool. The batch is sized so
 * that the embedding gradient has 8 x 32 x 128 = 32768 elements, the size from which PyTorch's CPU
 * indexing backward adds in parallel with atomic float additions (see {@code RowGather}), and the
 * vocabulary is small, so that every row of the embedding is hit many times per batch: with the
 * embedding looked up by advanced indexing, the two runs differed in the last bits.
 */
class LmDeterminismTest {

    private static final int VOCABULARY = 12;

    @TempDir Path temp;

    private static int[] stream(int length, long seed) {
        Random random = new Random(seed);
        int[] out = new int[length];
        for (int i = 1; i < length; i++) {
            out[i] =
                    random.nextInt(4) == 0
                            ? random.nextInt(VOCABULARY)
                            : (3 * out[i - 1] + 1) % VOCABULARY;
        }
        return out;
    }

    /** Trains a small SMoGE LM for 4 steps; returns every parameter's float bits by name. */
    private static Map<String, List<Integer>> train(Path run) throws IOException {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < VOCABULARY; i++) {
            words.add("w" + i);
        }
        Corpus corpus =
                new Corpus(
                        "synthetic",
                        Vocabulary.fromTraining(words, 0),
                        stream(4000, 1),
                        stream(200, 2),
                        stream(200, 3));
        MoeTransformerLm lm =
                MoeTransformerLm.builder()
                        .setVocabularySize(VOCABULARY + 2)
                        .optWidth(128)
                        .optHeads(2)
                        .optLayers(1)
                        .optSpan(32)
                        .optHiddenSize(16)
                        .optExperts(4)
                        .optTopK(2)
                        .optDropout(0.1f)
                        .optTrainingNoise(true)
                        .build();
        PrintStream quiet =
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Map<String, List<Integer>> bits = new LinkedHashMap<>();
        try (LmTraining training =
                LmTraining.builder()
                        .setModel(lm)
                        .setCorpus(corpus)
                        .setBatch(8, 32)
                        .optEvalBatch(2)
                        .setEpochs(1)
                        .setLearningRate(5e-3f, 0)
                        .optMaxStepsPerEpoch(4)
                        .setSeed(11)
                        .optConfiguration(RunConfiguration.of(Map.of("model", "determinism")))
                        .optLog(quiet)
                        .optProgressEvery(0)
                        .build()) {
            training.run(run);
            for (Pair<String, Parameter> p : training.getModel().getBlock().getParameters()) {
                List<Integer> values = new ArrayList<>();
                for (float v : p.getValue().getArray().toFloatArray()) {
                    values.add(Float.floatToRawIntBits(v));
                }
                bits.put(p.getKey(), values);
            }
        }
        return bits;
    }

    @Test
    void twoRunsWithTheSameSeedEndWithTheSameParametersBitForBit() throws IOException {
        Map<String, List<Integer>> first = train(temp.resolve("first"));
        Map<String, List<Integer>> second = train(temp.resolve("second"));
        assertEquals(first.keySet(), second.keySet());
        List<String> differing = new ArrayList<>();
        for (String name : first.keySet()) {
            if (!first.get(name).equals(second.get(name))) {
                differing.add(name);
            }
        }
        assertEquals(List.of(), differing, "parameters that differ between the two runs");
    }
}
