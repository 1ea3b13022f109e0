package io.github.moge.examples.vision;

import static io.github.moge.core.testing.RunFiles.epochRows;
import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.core.metrics.SigmaColumn;
import io.github.moge.examples.plot.CurvesFigure;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.preset.VisionPreset;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainVisionCommandTest {

    @TempDir Path dir;

    private static String run(StringWriter err, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new TrainVisionCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return code + "\n" + out;
    }

    @Test
    void helpListsEveryPreset() {
        String help = run(new StringWriter(), "--help");
        assertTrue(help.startsWith("0\n"), help);
        for (String name : VisionPreset.names()) {
            assertTrue(help.contains(name), name + " missing from --help");
        }
        for (String option :
                new String[] {
                    "--preset",
                    "--data",
                    "--dataset",
                    "--epochs",
                    "--experts",
                    "--top-k",
                    "--[no-]moge",
                    "--lambda",
                    "--batch-size",
                    "--lr",
                    "--warmup-epochs",
                    "--clip-grad-norm",
                    "--mixup",
                    "--cutmix",
                    "--label-smoothing",
                    "--train-limit",
                    "--output",
                    "--seed",
                    "--resume",
                    "--checkpoint-every",
                    "--skip-non-finite",
                    "--print-recipe",
                    "--flip"
                }) {
            assertTrue(help.contains(option), option + " missing from --help");
        }
    }

    @Test
    void printRecipeShowsTheValuesARunWillUseWithoutData() {
        String cifar =
                run(
                        new StringWriter(),
                        "--preset",
                        "vit-moge-s-cifar100",
                        "--print-recipe",
                        "--output",
                        dir.resolve("r").toString());
        assertTrue(cifar.startsWith("0\n"), cifar);
        assertTrue(
                cifar.contains("recipe cifar100")
                        && cifar.contains("mixup 0.25")
                        && cifar.contains("colour jitter 0.12")
                        && cifar.contains("warm-up epochs 10.0")
                        && cifar.contains("auto-augment rand-m9-mstd0.5-inc1"),
                cifar);
        String imagenet =
                run(
                        new StringWriter(),
                        "--preset",
                        "vit-moge-s-imagenet",
                        "--print-recipe",
                        "--output",
                        dir.resolve("r").toString());
        assertTrue(
                imagenet.contains("mixup 0.8")
                        && imagenet.contains("cutmix 1.0")
                        && imagenet.contains("batch 1024")
                        && imagenet.contains("clip grad norm 5.0")
                        && imagenet.contains("auto-augment none"),
                imagenet);
        assertFalse(dir.resolve("r").toFile().exists(), "printing the recipe writes nothing");
    }

    @Test
    void mogeFlagSwitchesThePresetVariant() {
        assertEquals(
                "vit-moge-s-cifar100",
                TrainVisionCommand.resolvePresetName("vit-moe-s-cifar100", true));
        assertEquals(
                "vit-moe-s-cifar100",
                TrainVisionCommand.resolvePresetName("vit-moge-s-cifar100", false));
        assertEquals(
                "swinv2-moge-t-cifar100",
                TrainVisionCommand.resolvePresetName("swinv2-t-cifar100", true));
        assertEquals(
                "vit-moge-xs-fmnist",
                TrainVisionCommand.resolvePresetName("vit-moge-xs-fmnist", null));
        for (String name : VisionPreset.names()) {
            if (name.contains("-moge-")) {
                VisionPreset.get(
                        TrainVisionCommand.resolvePresetName(name, false)); // the MoE twin exists
            }
        }
    }

    @Test
    void trainsThenRefusesThenResumesExactly() throws IOException {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        Path straight = dir.resolve("straight");
        Path killed = dir.resolve("killed");
        String[] common = {
            "--preset",
            "vit-moge-xs-fmnist",
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
            "--warmup-epochs",
            "0.5",
            "--clip-grad-norm",
            "1",
            "--checkpoint-every",
            "1",
            "--keep-checkpoints",
            "10",
            "--no-progress",
            "--seed",
            "3"
        };
        StringWriter err = new StringWriter();
        // --log-every overrides --no-progress: a line at every second step of the 4
        String first =
                run(err, concat(common, "--output", straight.toString(), "--log-every", "2"));
        assertTrue(first.startsWith("0\n"), first + err);
        assertTrue(first.contains("epoch 1/2 batch 2/2 step 2/4: loss"), first);
        assertTrue(first.contains("epoch 2/2 batch 2/2 step 4/4: loss"), first);
        assertFalse(first.contains("step 1/4: loss"), first);
        assertTrue(first.contains(", ETA 0m"), first);
        assertTrue(first.contains("final: Acc@1"), first);
        List<String> epochs = Files.readAllLines(straight.resolve("epochs.csv"));
        assertEquals(3, epochs.size(), epochs.toString());
        assertTrue(
                epochs.get(0).contains("train_group_sparse_loss")
                        && epochs.get(0).contains("validation_acc1"),
                epochs.get(0));
        List<String> steps = Files.readAllLines(straight.resolve("metrics.csv"));
        assertEquals(5, steps.size(), "a header and 2 x 2 steps");
        int gs = List.of(steps.get(0).split(",")).indexOf("group_sparse_loss");
        assertNotEquals(
                0.0, Double.parseDouble(steps.get(1).split(",")[gs]), "group-sparse term logged");
        // the sigma each step used: the vision schedule 10 -> 1.5 (p 0.3) over the run's 4 steps
        int sigma = List.of(steps.get(0).split(",")).indexOf(SigmaColumn.NAME);
        for (int t = 0; t < 4; t++) {
            assertEquals(
                    SigmaSchedule.VISION.over(4).getNewValue(t),
                    Float.parseFloat(steps.get(t + 1).split(",")[sigma]),
                    1e-6,
                    "sigma at step " + t);
        }
        // the run's learning curves: a 2 x 2 grid of 700 x 480 panels
        BufferedImage curves = ImageIO.read(straight.resolve(CurvesFigure.FILE_NAME).toFile());
        assertEquals(1400, curves.getWidth());
        assertEquals(960, curves.getHeight());
        String config = Files.readString(straight.resolve("config.json"));
        assertTrue(
                config.contains("\"experts\": 9")
                        && config.contains("vit-moge-xs-fmnist")
                        && config.contains("\"clip_grad_norm\": 1.0"),
                config);

        // The same output directory is refused...
        StringWriter err2 = new StringWriter();
        String refused = run(err2, concat(common, "--output", straight.toString()));
        assertTrue(
                !refused.startsWith("0\n") && err2.toString().contains("already holds a run"),
                refused + err2);

        // ...a run killed after step 1 (its newer checkpoints never written) resumes from its saved
        // options alone and reproduces the uninterrupted run.
        assertTrue(
                run(new StringWriter(), concat(common, "--output", killed.toString()))
                        .startsWith("0\n"));
        try (Stream<Path> checkpoints = Files.list(killed.resolve("checkpoints"))) {
            for (Path c :
                    checkpoints
                            .filter(c -> c.getFileName().toString().compareTo("step-00000001") > 0)
                            .toList()) {
                try (Stream<Path> files = Files.walk(c)) {
                    files.sorted(java.util.Comparator.reverseOrder())
                            .forEach(f -> f.toFile().delete());
                }
            }
        }
        StringWriter err3 = new StringWriter();
        String second = run(err3, "--resume", killed.toString(), "--no-progress");
        assertTrue(
                second.startsWith("0\n")
                        && second.contains("Resuming")
                        && second.contains("step 1"),
                second + err3);
        assertEquals(stepRows(straight), stepRows(killed));
        assertEquals(epochRows(straight), epochRows(killed));

        // A resumed run keeps its settings.
        StringWriter err4 = new StringWriter();
        assertNotEquals('0', run(err4, "--resume", killed.toString(), "--epochs", "3").charAt(0));
        assertTrue(err4.toString().contains("--epochs given with --resume"), err4.toString());
        StringWriter err5 = new StringWriter();
        assertNotEquals(
                '0',
                run(err5, "--resume", killed.toString(), "--output", straight.toString())
                        .charAt(0));
        assertTrue(err5.toString().contains("--output and --resume both given"), err5.toString());
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    @Test
    void missingDataIsReportedClearly() {
        StringWriter err = new StringWriter();
        String res =
                run(
                        err,
                        "--preset",
                        "vit-moge-s-cifar100",
                        "--data",
                        dir.resolve("none").toString(),
                        "--epochs",
                        "1",
                        "--output",
                        dir.resolve("o").toString());
        assertTrue(!res.startsWith("0\n"), res);
        assertTrue(
                err.toString().contains("--data " + dir.resolve("none") + " does not exist"),
                err.toString());
    }

    @Test
    void loadFormFlagReachesEveryMoeLayer() {
        VisionPreset p = VisionPreset.get("vit-moge-xs-fmnist");
        for (String flag : TrainVisionCommand.LOAD_FORMS) {
            VisionPreset.Overrides o = TrainVisionCommand.overrides(p, null, null, null, flag);
            List<MoeBlock> layers = SigmaScheduleListener.findMoeBlocks(p.newModel(100, o));
            assertFalse(layers.isEmpty());
            for (MoeBlock layer : layers) {
                assertEquals(
                        flag.equals("tutel")
                                ? ImportanceLoadLoss.LoadForm.TUTEL
                                : ImportanceLoadLoss.LoadForm.V_MOE,
                        ((ImportanceLoadLoss) layer.getBalanceLoss()).getLoadForm(),
                        flag);
            }
        }
    }

    @Test
    void badOptionsAreRefusedBeforeAnyComputeWithOneLineEach() {
        StringWriter err = new StringWriter();
        run(err, "--preset", "vit-moge-xl", "--output", dir.resolve("a").toString());
        assertTrue(
                err.toString().contains("unknown --preset 'vit-moge-xl': choose one of"),
                err.toString());

        err = new StringWriter();
        run(
                err,
                "--preset",
                "vit-moge-xs-fmnist",
                "--experts",
                "8",
                "--top-k",
                "9",
                "--output",
                dir.resolve("b").toString());
        assertTrue(
                err.toString().contains("--top-k 9 is not in 1..8 (--experts 8)"), err.toString());
        assertTrue(
                err.toString()
                        .contains(
                                "topographic map of E=8 experts is 2 x 4, which cannot hold a 3 x 3"
                                        + " filter"),
                err.toString());

        err = new StringWriter();
        run(
                err,
                "--preset",
                "vit-moge-xs-fmnist",
                "--auto-augment",
                "rand-m9-zz3",
                "--output",
                dir.resolve("b").toString());
        assertTrue(err.toString().contains("--auto-augment: "), err.toString());

        err = new StringWriter();
        run(
                err,
                "--preset",
                "vit-xs-fmnist",
                "--load-form",
                "switch",
                "--output",
                dir.resolve("b").toString());
        assertTrue(
                err.toString().contains("unknown --load-form 'switch': choose one of"),
                err.toString());
        assertTrue(
                err.toString().contains("--load-form needs an MoE or MoGE preset"), err.toString());

        err = new StringWriter();
        run(err, "--epochs", "2");
        assertTrue(err.toString().contains("--preset is required for a new run"), err.toString());
        assertFalse(Files.exists(dir.resolve("b")), "nothing was written");
    }
}
