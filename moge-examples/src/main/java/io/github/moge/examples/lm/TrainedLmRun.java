package io.github.moge.examples.lm;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.Translator;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.moge.core.training.BestParameters;
import io.github.moge.core.training.DataFingerprint;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.examples.training.CommandSettings;
import io.github.moge.lm.data.Corpus;
import io.github.moge.lm.data.Vocabulary;
import io.github.moge.lm.eval.Perplexity;
import io.github.moge.lm.inference.NextWordTranslator;
import io.github.moge.lm.inference.TextWords;
import io.github.moge.lm.model.MoeTransformerLm;
import io.github.moge.lm.training.LmTraining;
import io.github.moge.lm.training.PerplexityEvaluation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@code train-lm} run loaded for use: the model its {@code config.json} describes with the
 * best-on-validation parameters ({@code RUN/lm-best-0000.params}, the parameters whose test
 * perplexity the run reports), in a DJL {@link Model}, and the run's corpus and vocabulary (read
 * again from where the run read them, since the vocabulary is the training words'). {@link
 * #newTranslator()} gives the next-word probabilities of a text, {@link #perplexity(String)} the
 * perplexity of a text, {@link #evaluate()} re-computes the run's test perplexity ({@link
 * #recorded()}: what the run wrote in {@code summary.json}).
 *
 * <pre>{@code
 * try (TrainedLmRun run = TrainedLmRun.open(Path.of("runs/smoge"), null, Device.cpu());
 *         Predictor<String, Classifications> predictor =
 *                 run.getModel().newPredictor(run.newTranslator())) {
 *     System.out.println(predictor.predict("the jury said it did not").topK(5));
 * }
 * }</pre>
 */
public final class TrainedLmRun implements AutoCloseable {

    private final Path runDirectory;
    private final LmRunSettings settings;
    private final Corpus corpus;
    private final MoeTransformerLm lm;
    private final Model model;

    private TrainedLmRun(
            Path runDirectory,
            LmRunSettings settings,
            Corpus corpus,
            MoeTransformerLm lm,
            Model model) {
        this.runDirectory = runDirectory;
        this.settings = settings;
        this.corpus = corpus;
        this.lm = lm;
        this.model = model;
    }

    /**
     * Loads a run that has finished at least one epoch.
     *
     * @param runDirectory the run's {@code --output} directory
     * @param corpusDirectory the corpus to read the vocabulary and test part from, or null for the
     *     one the run recorded when it started
     * @param device where the model runs
     * @return the loaded run (close it)
     * @throws IOException if the directory holds no {@code train-lm} run with best parameters, they
     *     do not fit the settings, or the corpus cannot be read
     */
    public static TrainedLmRun open(Path runDirectory, Path corpusDirectory, Device device)
            throws IOException {
        LmRunSettings s =
                CommandSettings.readRun(runDirectory, LmRunSettings.COMMAND, LmRunSettings.class);
        Path best = runDirectory.resolve(BestParameters.FILE);
        if (!Files.isRegularFile(best)) {
            throw new IOException(
                    "no trained model in "
                            + runDirectory
                            + " ("
                            + best.getFileName()
                            + ", the best-on-validation parameters, is written after the first"
                            + " epoch): continue the run with train-lm --resume "
                            + runDirectory);
        }
        Path location = corpusDirectory;
        if (location == null) {
            DataFingerprint data = TrainingRun.resumeData(runDirectory);
            location =
                    data != null && data.getLocation("corpus") != null
                            ? data.getLocation("corpus")
                            : s.corpusPath();
        }
        Corpus corpus = s.loadCorpus(location);
        // The sigma schedule's length only matters to training; inference never computes L_gs.
        MoeTransformerLm lm = s.buildModel(corpus.getVocabulary().size(), 1);
        Model model = Model.newInstance(LmTraining.class.getSimpleName(), device);
        try {
            model.setBlock(lm);
            lm.initialize(model.getNDManager(), DataType.FLOAT32, lm.inputShapes(1, s.block()));
            BestParameters.load(model, runDirectory);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw new IOException(
                    best
                            + " does not fit the model its config.json describes with the"
                            + " vocabulary of "
                            + location
                            + " ("
                            + corpus.getVocabulary().size()
                            + " words): "
                            + e.getMessage(),
                    e);
        }
        return new TrainedLmRun(runDirectory, s, corpus, lm, model);
    }

    /** {@return the run directory} */
    public Path getRunDirectory() {
        return runDirectory;
    }

    /** {@return the preset's name, e.g. {@code smoge-small}} */
    public String getPresetName() {
        return settings.preset().cliName();
    }

    /** {@return the DJL model holding the trained language model} */
    public Model getModel() {
        return model;
    }

    /** {@return the run's vocabulary} */
    public Vocabulary getVocabulary() {
        return corpus.getVocabulary();
    }

    /** {@return the run's corpus as it reads now (valid and test cut to the run's limit)} */
    public Corpus getCorpus() {
        return corpus;
    }

    /**
     * Returns a translator from a text to the probabilities of its next word.
     *
     * @return the translator
     */
    public Translator<String, Classifications> newTranslator() {
        return new NextWordTranslator(
                lm, corpus.getVocabulary(), settings.block(), settings.lowercase());
    }

    /**
     * Returns the perplexity of a text under the model: every word after the first scored with the
     * words before it as context (one stream, blocks of the run's length, memory carried).
     *
     * @param text the text ({@link TextWords}: split on white space)
     * @return the perplexity and its token count
     * @throws IllegalArgumentException if the text has fewer than two words
     */
    public Perplexity perplexity(String text) {
        int[] ids = TextWords.encode(text, settings.lowercase(), corpus.getVocabulary());
        if (ids.length < 2) {
            throw new IllegalArgumentException(
                    "a perplexity needs at least two words (the first is only context); the text"
                            + " has "
                            + ids.length);
        }
        return perplexity(ids, 1);
    }

    /**
     * Re-computes the run's test perplexity from the saved best parameters, with the run's
     * evaluation streams and block length, as the run computed it.
     *
     * @return the test perplexity
     */
    public Perplexity evaluate() {
        return perplexity(corpus.getTest(), settings.evalBatch());
    }

    /**
     * Returns the test perplexity the run recorded ({@code summary.json}).
     *
     * @return the perplexity
     * @throws IOException if the run wrote no summary or no test perplexity
     */
    public double recorded() throws IOException {
        Path file = runDirectory.resolve(LmTraining.SUMMARY_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    runDirectory + " has no " + file.getFileName() + ": the run has not finished");
        }
        try {
            JsonObject summary =
                    JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                            .getAsJsonObject();
            if (!summary.has("test_ppl") || summary.get("test_ppl").isJsonNull()) {
                throw new IOException(file + " records no test perplexity");
            }
            return summary.get("test_ppl").getAsDouble();
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            throw new IOException(file + " is not a run summary: " + e.getMessage(), e);
        }
    }

    private Perplexity perplexity(int[] stream, int rows) {
        return new PerplexityEvaluation(lm, stream, rows, settings.block())
                .measure(model.getNDManager());
    }

    /** Closes the model. */
    @Override
    public void close() {
        model.close();
    }
}
