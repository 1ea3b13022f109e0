package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.training.DataFingerprint;
import io.github.moge.examples.MogeCli;
import io.github.moge.vision.data.FashionMnistDataset;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invariance --resume} reads the data both models started with: each run directory records
 * its data's fingerprint, and a resume after the data changed is refused naming the file, before
 * anything is read or trained.
 */
class InvarianceDataGuardTest {

    @TempDir Path temp;

    private final StringWriter err = new StringWriter();

    private int moge(String... args) {
        err.getBuffer().setLength(0);
        PrintStream original = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return MogeCli.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                    .execute(args);
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void resumeAfterTheDataChangedIsRefusedNamingTheFile() throws IOException {
        Path system = Path.of(FashionMnistDataset.SYSTEM_DATA_DIR);
        assumeTrue(Files.isDirectory(system), "Fashion-MNIST not installed");
        Path copy = Files.createDirectories(temp.resolve("fm"));
        try (Stream<Path> files = Files.list(system)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path out = temp.resolve("out");
        int first =
                moge(
                        "invariance",
                        "--data",
                        copy.toString(),
                        "--epochs",
                        "1",
                        "--train-limit",
                        "10",
                        "--test-limit",
                        "10",
                        "--batch-size",
                        "10",
                        "--no-progress",
                        "--output",
                        out.toString());
        assertEquals(0, first, err.toString());
        for (String run : new String[] {"train-moe", "train-moge"}) {
            DataFingerprint recorded = DataFingerprint.read(out.resolve(run));
            assertEquals(copy, recorded.getLocation("train"), run);
        }

        Path images = copy.resolve("t10k-images-idx3-ubyte.gz");
        long size = Files.size(images);
        Files.write(images, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        assertEquals(2, moge("invariance", "--resume", out.toString(), "--no-progress"));
        String message = err.toString().trim();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(
                message.contains("the data of run " + out.resolve("train-moe") + " changed"),
                message);
        assertTrue(message.contains(images + ": " + size + " bytes, modified "), message);
        assertTrue(message.contains("(recorded) vs " + (size + 3) + " bytes"), message);
        assertFalse(message.contains("Exception"), message);
    }
}
