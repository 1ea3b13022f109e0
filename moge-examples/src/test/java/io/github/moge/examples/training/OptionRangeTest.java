package io.github.moge.examples.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.examples.MogeCli;
import io.github.moge.vision.data.FashionMnistDataset;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Out-of-range options of the training commands are refused before any compute, by flag name. */
class OptionRangeTest {

    @TempDir Path dir;

    /** The exit code and standard error of one {@code moge} invocation. */
    private record Result(int code, String err) {}

    private static Result moge(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                MogeCli.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                        .execute(args);
        return new Result(code, err.toString());
    }

    private void assertRefused(String expected, String... args) {
        Path output = dir.resolve("run");
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--output")) {
            all.add("--output");
            all.add(output.toString());
        }
        Result r = moge(all.toArray(String[]::new));
        assertEquals(2, r.code(), String.join(" ", all) + ": " + r.err());
        assertTrue(r.err().contains(expected), String.join(" ", all) + ": " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(output), "no run directory for " + String.join(" ", all));
    }

    private static String[] vision(String... more) {
        List<String> all =
                new ArrayList<>(List.of("train-vision", "--preset", "vit-moge-xs-fmnist"));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void trainVisionRefusesEveryOutOfRangeOptionByName() {
        assertRefused(
                "--mixup -1.0 is out of range: allowed a finite number >= 0",
                vision("--mixup", "-1"));
        assertRefused("--cutmix -1.0 is out of range", vision("--cutmix", "-1"));
        assertRefused("--color-jitter -1.0 is out of range", vision("--color-jitter", "-1"));
        assertRefused(
                "--random-erasing 1.5 is out of range: allowed [0, 1]",
                vision("--random-erasing", "1.5"));
        assertRefused(
                "--crop-padding -1 is out of range: allowed [0, ", vision("--crop-padding", "-1"));
        assertRefused(
                "--crop-padding 100 is out of range: allowed [0, ",
                vision("--crop-padding", "100"));
        assertRefused("--eval-batch-size -1 is out of range", vision("--eval-batch-size", "-1"));
        assertRefused(
                "--warmup-epochs 1000.0 is larger than the 1 epochs of the run: allowed [0, 1]",
                vision("--epochs", "1", "--warmup-epochs", "1000"));
        assertRefused(
                "--clip-grad-norm Infinity is out of range",
                vision("--clip-grad-norm", "Infinity"));
        assertRefused(
                "--lr Infinity is out of range: allowed a finite number > 0",
                vision("--lr", "Infinity"));
        assertRefused("--lr 0.0 is out of range", vision("--lr", "0"));
        assertRefused("--min-lr NaN is out of range", vision("--min-lr", "NaN"));
        assertRefused("--min-lr 0.5 is not smaller than --lr 0.001", vision("--min-lr", "0.5"));
        assertRefused("--weight-decay -1.0 is out of range", vision("--weight-decay", "-1"));
        assertRefused("--lambda Infinity is out of range", vision("--lambda", "Infinity"));
        assertRefused(
                "--experts/--top-k need an MoE or MoGE preset",
                "train-vision",
                "--preset",
                "vit-s-cifar100",
                "--top-k",
                "3");
        Result r = moge(vision("--output", ""));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--output \"\" is empty"), r.err());
    }

    @Test
    void trainLmRefusesEveryOutOfRangeOptionByName() {
        Path brown = dir.resolve("brown");
        String[] lm = {"train-lm", "--brown", brown.toString(), "--preset", "smoge-small"};
        assertRefused("--lr Infinity is out of range", concat(lm, "--lr", "Infinity"));
        assertRefused("--lambda Infinity is out of range", concat(lm, "--lambda", "Infinity"));
        assertRefused(
                "--clip-grad-norm Infinity is out of range",
                concat(lm, "--clip-grad-norm", "Infinity"));
        assertRefused(
                "--top-k needs a sparse preset; dense-small is dense",
                "train-lm",
                "--brown",
                brown.toString(),
                "--preset",
                "dense-small",
                "--top-k",
                "3");
        Result r = moge(concat(lm, "--output", ""));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--output \"\" is empty"), r.err());
    }

    @Test
    void invarianceRefusesOutOfRangeOptionsByName() {
        assertRefused(
                "--clip-grad-norm Infinity is out of range",
                "invariance",
                "--clip-grad-norm",
                "Infinity");
        assertRefused("--weight-decay must be finite", "invariance", "--weight-decay", "-1");
        assertRefused("--lr must be finite and > 0", "invariance", "--lr", "Infinity");
        Result r = moge("invariance", "--output", "");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--output \"\" is empty"), r.err());
    }

    @Test
    void invarianceRefusesAMogeOnlySettingBeforeTheMoeModelTrains() {
        assertRefused(
                "--filter-size 30 does not fit the 20 x 20 map of the 400 experts: allowed [1, 20]",
                "invariance",
                "--filter-size",
                "30");
        // --experts lays the map out as the squarest grid: 100 = 10 x 10, 7 = 1 x 7
        assertRefused(
                "--filter-size 11 does not fit the 10 x 10 map of the 100 experts: allowed [1, 10]",
                "invariance",
                "--experts",
                "100",
                "--filter-size",
                "11");
        assertRefused(
                "--filter-size 3 does not fit the 1 x 7 map of the 7 experts: allowed [1, 1]",
                "invariance",
                "--experts",
                "7");
        assertRefused("--hidden-size must be >= 1, got 0", "invariance", "--hidden-size", "0");
        assertRefused("--experts must be >= 1, got 0", "invariance", "--experts", "0");
    }

    @Test
    void aDivergedVisionRunPrintsOneLineWithTheResumeHint() {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        Path output = dir.resolve("diverged");
        Result r =
                moge(
                        vision(
                                "--train-limit",
                                "16",
                                "--test-limit",
                                "16",
                                "--epochs",
                                "2",
                                "--experts",
                                "9",
                                "--top-k",
                                "2",
                                "--batch-size",
                                "8",
                                "--lr",
                                "1e30",
                                "--min-lr",
                                "1e29",
                                "--warmup-epochs",
                                "0",
                                "--checkpoint-every",
                                "1",
                                "--no-progress",
                                "--output",
                                output.toString()));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("train-vision: training stopped: "), r.err());
        assertTrue(r.err().contains("No update was applied for that step."), r.err());
        assertTrue(r.err().contains("--resume " + output), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
