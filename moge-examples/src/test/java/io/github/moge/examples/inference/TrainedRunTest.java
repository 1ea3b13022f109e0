package io.github.moge.examples.inference;

import static io.github.moge.examples.CliRun.moge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.Record;
import io.github.moge.examples.lm.TrainedLmRun;
import io.github.moge.examples.vision.TrainedVisionRun;
import io.github.moge.lm.data.BrownCorpus;
import io.github.moge.lm.data.Vocabulary;
import io.github.moge.lm.eval.Perplexity;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finished run used through the public loaders and through {@code moge predict} / {@code moge
 * evaluate}: the saved model reproduces the run's recorded test figures, a PNG of a test image is
 * classified exactly as the evaluation classified the test tensor, the next-word probabilities of
 * the translator agree with the evaluator's per-token loss, and unusable runs are refused in one
 * line.
 */
class TrainedRunTest {

    @TempDir Path temp;

    /** Writes a {@code [1, H, W]} image in [0, 1] (k / 255 values) as an 8-bit grey PNG. */
    private static void writePng(NDArray image, Path file) throws IOException {
        int h = (int) image.getShape().get(1);
        int w = (int) image.getShape().get(2);
        float[] pixels = image.toFloatArray();
        BufferedImage png = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                png.getRaster().setSample(x, y, 0, Math.round(pixels[y * w + x] * 255f));
            }
        }
        ImageIO.write(png, "png", file.toFile());
    }

    @Test
    void aVisionRunIsReproducedAndClassifiesImageFilesAsItsEvaluation()
            throws IOException, Exception {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        Path run = temp.resolve("fmnist");
        String trained =
                moge(
                        "train-vision",
                        "--preset",
                        "vit-moge-xs-fmnist",
                        "--epochs",
                        "1",
                        "--train-limit",
                        "512",
                        "--test-limit",
                        "200",
                        "--output",
                        run.toString(),
                        "--no-progress");
        assertTrue(trained.startsWith("0\n"), trained);

        // The public loader: the saved model gives the recorded figures again.
        try (TrainedVisionRun loaded = TrainedVisionRun.open(run, null, Device.cpu())) {
            TrainedVisionRun.Accuracy recorded = loaded.recorded();
            TrainedVisionRun.Accuracy again = loaded.evaluate();
            assertEquals(200, again.images());
            assertEquals(recorded.acc1(), again.acc1(), 1e-12);
            assertEquals(recorded.acc5(), again.acc5(), 1e-12);
            assertTrue(again.acc1() > 0.2, "1 epoch on 512 images beats chance (0.1): " + again);
            assertEquals(10, loaded.getClassNames().size());

            // A PNG of a test image is classified as the evaluation classifies its tensor.
            FashionMnistDataset test =
                    FashionMnistDataset.builder()
                            .optUsage(Dataset.Usage.TEST)
                            .setSampling(1, false)
                            .build();
            test.prepare();
            AugmentationPipeline eval =
                    AugmentationPipeline.builder()
                            .optPadTo(32)
                            .optNormalize(new float[] {0.286f}, new float[] {0.353f})
                            .build();
            List<Path> files = new ArrayList<>();
            List<Integer> expected = new ArrayList<>();
            List<float[]> direct = new ArrayList<>();
            try (NDManager m = NDManager.newBaseManager();
                    Predictor<Image, Classifications> predictor =
                            loaded.getModel().newPredictor(loaded.newTranslator())) {
                ParameterStore store = new ParameterStore(m, false);
                for (int i = 0; i < 6; i++) {
                    Record r = test.get(m, i);
                    NDArray image = r.getData().head();
                    Path file = temp.resolve("test-" + i + ".png");
                    writePng(image, file);
                    files.add(file);
                    NDArray logits =
                            loaded.getModel()
                                    .getBlock()
                                    .forward(
                                            store,
                                            new NDList(eval.eval(image.expandDims(0))),
                                            false)
                                    .head();
                    direct.add(logits.softmax(-1).toFloatArray());
                    expected.add((int) logits.argMax(-1).getLong());
                    Classifications c =
                            predictor.predict(ImageFactory.getInstance().fromFile(file));
                    for (int k = 0; k < 10; k++) {
                        assertEquals(
                                direct.get(i)[k],
                                c.get(loaded.getClassNames().get(k)).getProbability(),
                                1e-5,
                                "image " + i + " class " + k);
                    }
                }
            }

            // moge evaluate and moge predict print the same.
            String evaluated = moge("evaluate", "--run", run.toString());
            assertTrue(evaluated.startsWith("0\n"), evaluated);
            String acc = String.format(java.util.Locale.ROOT, "%.2f%%", 100 * recorded.acc1());
            assertTrue(
                    evaluated.contains("test Acc@1 " + acc)
                            && evaluated.contains("recorded Acc@1 " + acc),
                    evaluated);
            List<String> args =
                    new ArrayList<>(List.of("predict", "--run", run.toString(), "--top", "2"));
            for (Path f : files) {
                args.add("--input");
                args.add(f.toString());
            }
            String predicted = moge(args.toArray(new String[0]));
            assertTrue(predicted.startsWith("0\n"), predicted);
            for (int i = 0; i < files.size(); i++) {
                String name = loaded.getClassNames().get(expected.get(i));
                Matcher line =
                        Pattern.compile(Pattern.quote(files.get(i) + ": ") + "(.+?) 0\\.\\d{4}, ")
                                .matcher(predicted);
                assertTrue(line.find(), predicted);
                assertEquals(name, line.group(1), predicted);
            }
        }

        // Refusals, one line each, exit 2.
        String noInput = moge("predict", "--run", run.toString());
        assertTrue(
                noInput.startsWith("2\n") && noInput.contains("give at least one image with"),
                noInput);
        String text = moge("predict", "--run", run.toString(), "--text", "a b");
        assertTrue(text.startsWith("2\n") && text.contains("--text is for language-model runs"));
        String notRun = moge("evaluate", "--run", temp.toString());
        assertTrue(
                notRun.startsWith("2\n")
                        && notRun.contains("holds no run (config.json is missing)"),
                notRun);
        Files.delete(run.resolve("model").resolve("model-0000.params"));
        String unfinished = moge("evaluate", "--run", run.toString());
        assertTrue(
                unfinished.startsWith("2\n") && unfinished.contains("no trained model in " + run),
                unfinished);
        assertFalse(unfinished.contains("\tat "), "no stack trace: " + unfinished);
    }

    @Test
    void anLmRunIsReproducedAndItsNextWordsAgreeWithTheEvaluator() throws Exception {
        Path brown = BrownCorpus.locate();
        assumeTrue(brown != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        Path run = temp.resolve("lm");
        String trained =
                moge(
                        "train-lm",
                        "--preset",
                        "smoge-small",
                        "--brown",
                        brown.toString(),
                        "--lowercase",
                        "--epochs",
                        "1",
                        "--batch",
                        "4",
                        "--block",
                        "8",
                        "--span",
                        "8",
                        "--layers",
                        "1",
                        "--width",
                        "16",
                        "--hidden",
                        "8",
                        "--warmup",
                        "1",
                        "--batches-per-epoch",
                        "4",
                        "--eval-limit",
                        "200",
                        "--output",
                        run.toString());
        assertTrue(trained.startsWith("0\n"), trained);
        try (TrainedLmRun loaded = TrainedLmRun.open(run, null, Device.cpu())) {
            Perplexity again = loaded.evaluate();
            assertEquals(loaded.recorded(), again.value(), 1e-6 * loaded.recorded());

            // 21 test words: the next-word probability of word 21 after the first 20 (more than
            // two blocks of 8, so the translator carries memory) is exp(-NLL) of that word in the
            // evaluator's pass over the 21.
            Vocabulary vocabulary = loaded.getVocabulary();
            int[] ids = Arrays.copyOf(loaded.getCorpus().getTest(), 21);
            List<String> words = new ArrayList<>();
            for (int id : ids) {
                words.add(vocabulary.word(id));
            }
            String context = String.join(" ", words.subList(0, 20));
            float[] nll = loaded.perplexity(String.join(" ", words)).tokenNll();
            assertEquals(20, nll.length);
            try (Predictor<String, Classifications> predictor =
                    loaded.getModel().newPredictor(loaded.newTranslator())) {
                Classifications next = predictor.predict(context);
                assertEquals(vocabulary.size(), next.getClassNames().size());
                assertEquals(Math.exp(-nll[19]), next.get(words.get(20)).getProbability(), 1e-5);
            }

            String evaluated = moge("evaluate", "--run", run.toString());
            assertTrue(
                    evaluated.startsWith("0\n")
                            && evaluated.contains(
                                    String.format(
                                            java.util.Locale.ROOT,
                                            "test perplexity %.2f on %d tokens; the run recorded"
                                                    + " %.2f",
                                            again.value(),
                                            again.getTokens(),
                                            loaded.recorded())),
                    evaluated);
            Path file = temp.resolve("text.txt");
            Files.writeString(file, String.join(" ", words), StandardCharsets.UTF_8);
            String predicted = moge("predict", "--run", run.toString(), "--input", file.toString());
            double ppl = Math.exp(mean(nll));
            assertTrue(
                    predicted.startsWith("0\n")
                            && predicted.contains(file + ": next ")
                            && predicted.contains(
                                    String.format(
                                            java.util.Locale.ROOT,
                                            "perplexity %.2f over 20 words",
                                            ppl)),
                    predicted);
        }
    }

    private static double mean(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
