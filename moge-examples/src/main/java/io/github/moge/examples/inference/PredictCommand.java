package io.github.moge.examples.inference;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.translate.TranslateException;
import io.github.moge.examples.lm.TrainedLmRun;
import io.github.moge.examples.training.UsageException;
import io.github.moge.examples.vision.TrainedVisionRun;
import io.github.moge.lm.eval.Perplexity;
import io.github.moge.lm.inference.TextWords;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code moge predict}: uses a trained run. A vision run classifies image files (top-k classes with
 * probabilities); a language-model run gives the likeliest next words after a text and the text's
 * perplexity.
 */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Uses a trained run. train-vision run: the top classes of each --input image (PNG,"
                    + " JPEG; read grey or RGB as the run's data set, resized to its image size,"
                    + " normalised as in training). train-lm run: the likeliest next words after"
                    + " the text of each --input file (or --text) and the text's perplexity"
                    + " (words split on white space, as the corpus is)."
        },
        footer = {
            "",
            "Examples:",
            "  moge predict --run runs/fmnist --input shirt.png --input shoe.png",
            "  moge predict --run runs/smoge --text \"the jury said it\""
        })
public final class PredictCommand implements Callable<Integer> {

    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    @Mixin RunOptions options = new RunOptions();

    @Option(
            names = "--input",
            paramLabel = "FILE",
            description = "An image (vision run) or a text file (LM run); repeatable.")
    List<Path> inputs = new ArrayList<>();

    @Option(
            names = "--text",
            paramLabel = "TEXT",
            description = "A text to continue and score (LM run), instead of or beside --input.")
    String text;

    @Option(
            names = "--top",
            paramLabel = "K",
            defaultValue = "5",
            description = "How many classes or next words to print (default: ${DEFAULT-VALUE}).")
    int top;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, TranslateException {
        if (top < 1) {
            throw new UsageException("--top " + top + " must be >= 1");
        }
        for (Path input : inputs) {
            if (!Files.isRegularFile(input)) {
                throw new UsageException("--input " + input + " is not a file");
            }
        }
        RunKind kind = RunKind.of(options.run);
        if (kind == RunKind.VISION && text != null) {
            throw new UsageException(
                    "--text is for language-model runs; "
                            + options.run
                            + " is a train-vision run: give images with --input");
        }
        if (inputs.isEmpty() && text == null) {
            throw new UsageException(
                    kind == RunKind.VISION
                            ? "give at least one image with --input FILE"
                            : "give a text with --text or a text file with --input FILE");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (kind == RunKind.VISION) {
            predictImages(out);
        } else {
            predictText(out);
        }
        out.flush();
        return 0;
    }

    private void predictImages(PrintWriter out) throws IOException, TranslateException {
        List<Image> images = new ArrayList<>();
        for (Path input : inputs) {
            try {
                images.add(ImageFactory.getInstance().fromFile(input));
            } catch (IOException e) {
                throw new IOException(
                        "--input " + input + " is not an image this JVM can read (PNG, JPEG)", e);
            }
        }
        try (TrainedVisionRun run =
                        TrainedVisionRun.open(
                                options.run, options.data, RunKind.device(options.device));
                Predictor<Image, Classifications> predictor =
                        run.getModel().newPredictor(run.newTranslator())) {
            List<Classifications> results = predictor.batchPredict(images);
            for (int i = 0; i < inputs.size(); i++) {
                out.println(inputs.get(i) + ": " + format(results.get(i)));
            }
        }
    }

    private void predictText(PrintWriter out) throws IOException, TranslateException {
        List<String> names = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (Path input : inputs) {
            names.add(input.toString());
            texts.add(Files.readString(input, StandardCharsets.UTF_8));
        }
        if (text != null) {
            names.add("--text");
            texts.add(text);
        }
        try (TrainedLmRun run =
                        TrainedLmRun.open(
                                options.run, options.data, RunKind.device(options.device));
                Predictor<String, Classifications> predictor =
                        run.getModel().newPredictor(run.newTranslator())) {
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                String score = "";
                if (TextWords.split(t, false).size() >= 2) {
                    Perplexity p = run.perplexity(t);
                    score =
                            String.format(
                                    Locale.ROOT,
                                    "; perplexity %.2f over %d words",
                                    p.value(),
                                    p.getTokens());
                }
                out.println(names.get(i) + ": next " + format(predictor.predict(t)) + score);
            }
        }
    }

    private String format(Classifications c) {
        List<String> parts = new ArrayList<>();
        for (Classifications.Classification item : c.topK(top)) {
            parts.add(
                    String.format(
                            Locale.ROOT, "%s %.4f", item.getClassName(), item.getProbability()));
        }
        return String.join(", ", parts);
    }
}
