package io.github.moge.examples.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.vision.model.VisionPreset;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
        for (String option : new String[] {"--preset", "--data", "--dataset", "--epochs", "--experts", "--top-k",
                "--[no-]moge", "--lambda", "--batch-size", "--lr", "--warmup-epochs", "--clip-grad", "--mixup",
                "--cutmix", "--label-smoothing", "--train-limit", "--output", "--seed"}) {
            assertTrue(help.contains(option), option + " missing from --help");
        }
    }

    @Test
    void mogeFlagSwitchesThePresetVariant() {
        assertEquals("vit-moge-s-cifar100", TrainVisionCommand.resolvePresetName("vit-moe-s-cifar100", true));
        assertEquals("vit-moe-s-cifar100", TrainVisionCommand.resolvePresetName("vit-moge-s-cifar100", false));
        assertEquals("swinv2-moge-t-cifar100", TrainVisionCommand.resolvePresetName("swinv2-t-cifar100", true));
        assertEquals("vit-moge-xs-fmnist", TrainVisionCommand.resolvePresetName("vit-moge-xs-fmnist", null));
        for (String name : VisionPreset.names()) {
            if (name.contains("-moge-")) {
                VisionPreset.get(TrainVisionCommand.resolvePresetName(name, false)); // the MoE twin exists
            }
        }
    }

    /** A tiny CIFAR-100 in the real binary format. */
    private Path cifar(int train, int test) throws IOException {
        Path d = Files.createDirectories(dir.resolve("cifar"));
        Files.write(d.resolve("train.bin"), records(train));
        Files.write(d.resolve("test.bin"), records(test));
        return d;
    }

    private static byte[] records(int n) {
        byte[] b = new byte[n * 3074];
        java.util.Random r = new java.util.Random(n);
        r.nextBytes(b);
        for (int i = 0; i < n; i++) {
            b[i * 3074] = (byte) (i % 20);
            b[i * 3074 + 1] = (byte) (i % 100);
        }
        return b;
    }

    @Test
    void trainsWritesMetricsAndCheckpointsThenRefusesOrResumes() throws IOException {
        Path data = cifar(16, 8);
        Path out = dir.resolve("run");
        String[] args = {"--preset", "vit-moge-s-cifar100", "--data", data.toString(), "--epochs", "1",
            "--experts", "9", "--top-k", "2", "--batch-size", "8", "--warmup-epochs", "0.5", "--clip-grad", "1",
            "--output", out.toString(), "--no-progress", "--seed", "3"};
        StringWriter err = new StringWriter();
        String first = run(err, args);
        assertTrue(first.startsWith("0\n"), first + err);
        assertTrue(first.contains("final: Acc@1"), first);
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(2, csv.size(), csv.toString());
        assertTrue(csv.get(0).startsWith("epoch,train_loss,train_ce,train_balance,train_group_sparse"));
        String[] row = csv.get(1).split(",");
        assertEquals("1", row[0]);
        assertNotEquals(0.0, Double.parseDouble(row[4]), "group-sparse term logged");
        assertTrue(Files.isRegularFile(out.resolve("model-0001.params")));
        String json = Files.readString(out.resolve("checkpoint.json"));
        assertTrue(json.contains("\"epoch\": 1") && json.contains("\"experts\": 9") && json.contains("vit-moge-s-cifar100"), json);

        // The same output directory is refused without --resume...
        StringWriter err2 = new StringWriter();
        String refused = run(err2, args);
        assertTrue(!refused.startsWith("0\n") && err2.toString().contains("already holds a run"), refused + err2);

        // ...and continued with it.
        String[] more = args.clone();
        more[5] = "2";
        String[] resumed = Stream.concat(Stream.of(more), Stream.of("--resume")).toArray(String[]::new);
        StringWriter err3 = new StringWriter();
        String second = run(err3, resumed);
        assertTrue(second.startsWith("0\n") && second.contains("Resuming"), second + err3);
        csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(List.of("1", "2"), csv.subList(1, 3).stream().map(l -> l.split(",")[0]).collect(Collectors.toList()));
        assertTrue(Files.isRegularFile(out.resolve("model-0002.params")));
        assertTrue(Files.notExists(out.resolve("model-0001.params")), "only the latest checkpoint is kept");
    }

    @Test
    void missingDataIsReportedClearly() {
        StringWriter err = new StringWriter();
        String res = run(err, "--preset", "vit-moge-s-cifar100", "--data", dir.resolve("none").toString(), "--epochs", "1",
                "--output", dir.resolve("o").toString());
        assertTrue(!res.startsWith("0\n"), res);
        assertTrue(err.toString().contains("CIFAR-100 training data") && err.toString().contains("no such directory"),
                err.toString());
    }
}
