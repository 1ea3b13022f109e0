package io.github.moge.examples.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.training.DataFingerprint;
import io.github.moge.examples.MogeCli;
import io.github.moge.vision.data.FashionMnistDataset;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-vision} reads the data it was told to, and a resume the data the run started with:
 * an explicit {@code --data} that does not hold the dataset is an error (never a silent switch to
 * the system copy), the run records its data's absolute location and fingerprint, and a resume on
 * changed labels is refused naming the file.
 */
class VisionDataGuardCommandTest {

    @TempDir Path dir;

    private static final Path SYSTEM = Path.of(FashionMnistDataset.SYSTEM_DATA_DIR);

    @BeforeEach
    void needsFashionMnist() {
        assumeTrue(Files.isDirectory(SYSTEM), "Fashion-MNIST not installed");
    }

    /** Runs {@code moge ARGS} as the CLI does; returns the exit code, then stdout and stderr. */
    private static String moge(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                MogeCli.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                        .execute(args);
        return code + "\n" + out + "\n" + err;
    }

    private static String[] tinyRun(Path data, Path output) {
        return new String[] {
            "train-vision",
            "--preset",
            "vit-moge-xs-fmnist",
            "--data",
            data.toString(),
            "--train-limit",
            "16",
            "--test-limit",
            "16",
            "--epochs",
            "1",
            "--experts",
            "9",
            "--top-k",
            "2",
            "--batch-size",
            "8",
            "--no-progress",
            "--output",
            output.toString()
        };
    }

    @Test
    void anExplicitDataDirectoryWithoutTheDatasetIsAnError() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path run = dir.resolve("run");
        String result = moge(tinyRun(empty, run));
        assertTrue(result.startsWith("2\n"), result);
        assertTrue(result.contains("data directory given by optDataDir/--data " + empty), result);
        assertTrue(result.contains("no train image or label files"), result);
        assertTrue(result.contains("does not hold the dataset"), result);
        assertFalse(result.contains("train-vision: vit-moge-xs-fmnist on"), "trained: " + result);
        assertFalse(result.contains("\tat "), "no stack trace: " + result);
        assertFalse(Files.exists(run.resolve("config.json")), result);
    }

    @Test
    void resumeOnChangedLabelsIsRefusedNamingTheFile() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("fm"));
        try (Stream<Path> files = Files.list(SYSTEM)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path run = dir.resolve("run");
        // Given with a detour: recorded absolute and normalized.
        String first = moge(tinyRun(dir.resolve("x").resolve("..").resolve("fm"), run));
        assertTrue(first.startsWith("0\n"), first);
        assertTrue(
                Files.readString(run.resolve("config.json")).contains("\"data\": \"" + copy + "\""),
                Files.readString(run.resolve("config.json")));
        DataFingerprint recorded = DataFingerprint.read(run);
        assertEquals(copy, recorded.getLocation("train"));
        assertEquals(copy, recorded.getLocation("test"));
        List<String> epochs = Files.readAllLines(run.resolve("epochs.csv"));

        // Other labels, still a valid IDX file: the resume must not evaluate on them.
        Path labels = copy.resolve("t10k-labels-idx1-ubyte.gz");
        long size = Files.size(labels);
        byte[] raw;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(labels))) {
            raw = in.readAllBytes();
        }
        raw[8] = (byte) ((raw[8] + 1) % 10);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
            out.write(raw);
        }
        Files.write(labels, gz.toByteArray());
        String resumed = moge("train-vision", "--resume", run.toString(), "--no-progress");
        assertTrue(resumed.startsWith("2\n"), resumed);
        assertTrue(
                resumed.contains("the data of run " + run + " changed since it started"), resumed);
        assertTrue(resumed.contains(labels + ": " + size + " bytes, sha256 "), resumed);
        assertFalse(resumed.contains("train-images"), resumed);
        assertFalse(resumed.contains("\tat "), "no stack trace: " + resumed);
        assertEquals(epochs, Files.readAllLines(run.resolve("epochs.csv")));
        assertEquals(
                1,
                resumed.strip().lines().filter(l -> l.contains("changed since")).count(),
                resumed);
    }
}
