package io.github.moge.lm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.lm.data.BrownCorpus;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.model.MoeTransformerLm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short real training run of a small SMoGE language model on the Brown corpus. */
class LmTrainingTest {

    @TempDir Path runs;

    @Test
    void smogeLearnsBrownWellBelowUnigramPerplexity() throws Exception {
        Path brown = BrownCorpus.locate();
        assumeTrue(brown != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        // Brown at small size: the first 40,000 words train (vocabulary: words seen > 3 times
        // there),
        // the next 20,000 validate, 20,000 after them test; several passes over the training part
        Corpus head = BrownCorpus.load(brown, true, 40_000, 20_000);
        Corpus corpus =
                new Corpus(
                        head.getName(),
                        head.getVocabulary(),
                        head.getTrain(),
                        head.getValid(),
                        Arrays.copyOf(head.getTest(), 20_000));
        int batch = 16;
        int block = 32;
        // 2 epochs keep the test near 30 s on 2 cores; -Dmoge.lm.testEpochs=4 is the longer check
        int epochs = Integer.getInteger("moge.lm.testEpochs", 2);
        int steps = epochs * LmTraining.stepsPerEpoch(corpus.getTrain(), batch, block, 0, 0);
        SigmaSchedule sigma =
                SigmaSchedule.builder()
                        .setMax(10f)
                        .setMin(1.5f)
                        .setPower(0.3f)
                        .setTotalSteps(steps)
                        .build();
        MoeTransformerLm lm =
                MoeTransformerLm.builder()
                        .setVocabularySize(corpus.getVocabulary().size())
                        .optWidth(32)
                        .optHeads(4)
                        .optLayers(2)
                        .optSpan(32)
                        .optHiddenSize(32)
                        .optExperts(16)
                        .optTopK(2)
                        .optDropout(0f)
                        .optGroupSparse(sigma)
                        .build();
        double unigram = corpus.unigramPerplexity(corpus.getValid());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path run = runs.resolve("run");
        LmTraining.Summary summary;
        try (LmTraining training =
                LmTraining.builder()
                        .setModel(lm)
                        .setCorpus(corpus)
                        .setBatch(batch, block)
                        .optEvalBatch(10)
                        .setEpochs(epochs)
                        .setLearningRate(1e-2f, 10)
                        .optAuxiliaryWeights(0f, 9e-4f)
                        .setSeed(1234)
                        .optLog(new PrintStream(log, true, StandardCharsets.UTF_8))
                        .build()) {
            summary = training.run(run);
        }
        List<String> rows = Files.readAllLines(run.resolve("metrics.csv"));
        int ce = Arrays.asList(rows.get(0).split(",")).indexOf("ce");
        double before = Math.exp(Double.parseDouble(rows.get(1).split(",")[ce]));
        List<EpochRecord> epochRecords = EpochRecord.readAll(run);
        System.out.printf(
                "brown smoke: V=%d unigram valid ppl %.1f, first step %.1f, after %d steps: valid"
                        + " %.1f test %.1f, %.0f tok/s%n",
                corpus.getVocabulary().size(),
                unigram,
                before,
                steps,
                summary.getValidPerplexity(),
                summary.getTestPerplexity(),
                summary.getTokensPerSecond());
        // an untrained model is near-uniform over V, far above the unigram model
        assertTrue(before > unigram, "untrained " + before + " vs unigram " + unigram);
        // the training cross-entropy falls from epoch to epoch
        assertEquals(epochs, epochRecords.size());
        for (int e = 1; e < epochs; e++) {
            assertTrue(
                    epochRecords.get(e).getTraining().get("ce")
                            < epochRecords.get(e - 1).getTraining().get("ce"),
                    "train ce of epoch " + (e + 1) + " did not fall: " + log);
        }
        assertTrue(
                // measured: valid 73.8 against unigram 84.3 (0.875 x) after 2 epochs, 156 steps
                summary.getValidPerplexity() < 0.9 * unigram,
                "valid ppl " + summary.getValidPerplexity() + " not well below unigram " + unigram);
        for (int e = 1; e < epochs; e++) {
            assertTrue(
                    epochRecords.get(e).getValidation().get(PerplexityEvaluation.NAME)
                            < epochRecords
                                    .get(e - 1)
                                    .getValidation()
                                    .get(PerplexityEvaluation.NAME),
                    "valid ppl of epoch " + (e + 1) + " did not fall: " + log);
        }
        assertTrue(summary.getTestPerplexity() < unigram);
        assertTrue(summary.isCompleted());
        assertEquals(steps, summary.getSteps());
        assertEquals(1 + steps, rows.size());
        assertTrue(Files.isRegularFile(run.resolve("lm-best-0000.params")));
        double bestRecorded =
                epochRecords.stream()
                        .mapToDouble(r -> r.getValidation().get(PerplexityEvaluation.NAME))
                        .min()
                        .orElseThrow();
        assertEquals(bestRecorded, summary.getValidPerplexity());
        // Every test token's NLL is kept, and their mean is ln(test perplexity).
        List<String> nll = Files.readAllLines(run.resolve(LmTraining.TEST_TOKEN_NLL_FILE));
        assertEquals("nll", nll.get(0));
        // Scored: every test token but the first of each of the 10 evaluation rows.
        assertEquals(corpus.getTest().length - 10, nll.size() - 1, "one line per scored token");
        double mean =
                nll.subList(1, nll.size()).stream()
                        .mapToDouble(Double::parseDouble)
                        .average()
                        .orElseThrow();
        assertEquals(Math.log(summary.getTestPerplexity()), mean, 1e-3);
    }
}
