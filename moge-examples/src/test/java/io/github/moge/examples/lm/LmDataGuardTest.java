package io.github.moge.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.training.DataFingerprint;
import io.github.moge.examples.MogeCli;
import io.github.moge.lm.data.BrownCorpus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-lm --resume} on a corpus that changed since the run started (bytes appended to one
 * Brown file, which changes the vocabulary) is refused with one line naming the file, before the
 * corpus is read; without the recorded fingerprint (a run of an older version) the checkpoint's
 * embedding, which no longer fits the vocabulary, is refused naming the parameter and both shapes.
 */
class LmDataGuardTest {

    @TempDir Path temp;

    private final StringWriter err = new StringWriter();

    /** Runs the CLI; returns the exit code, standard output and standard error. */
    private String moge(String... args) {
        err.getBuffer().setLength(0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        int code;
        try {
            code =
                    MogeCli.newCommandLine(
                                    new PrintWriter(new StringWriter()), new PrintWriter(err))
                            .execute(args);
        } finally {
            System.setOut(original);
        }
        return code + "\n" + bytes.toString(StandardCharsets.UTF_8) + "\n" + err;
    }

    @Test
    void resumeOnAChangedCorpusIsRefusedBeforeAnyCompute() throws IOException {
        Path installed = BrownCorpus.locate();
        assumeTrue(installed != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        Path brown = Files.createDirectories(temp.resolve("brown"));
        try (Stream<Path> files = Files.list(installed)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, brown.resolve(f.getFileName()));
            }
        }
        Path run = temp.resolve("run");
        String first =
                moge(
                        "train-lm",
                        "--preset",
                        "smoge-small",
                        "--brown",
                        brown.toString(),
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
                        "--max-steps-per-epoch",
                        "3",
                        "--eval-limit",
                        "100",
                        "--output",
                        run.toString(),
                        "--max-minutes",
                        "0.00001");
        assertTrue(first.startsWith("0\n") && first.contains("training stopped early"), first);
        assertTrue(Files.isRegularFile(run.resolve(DataFingerprint.FILE_NAME)), first);
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));

        // A new word, often enough to enter the vocabulary, appended to the first file.
        Path changed = brown.resolve("ca01");
        long before = Files.size(changed);
        Files.writeString(
                changed,
                "\n\tzzyzx/nn zzyzx/nn zzyzx/nn zzyzx/nn zzyzx/nn ./.\n",
                StandardCharsets.ISO_8859_1,
                StandardOpenOption.APPEND);
        String refused = moge("train-lm", "--resume", run.toString());
        assertTrue(refused.startsWith("2\n"), refused);
        String message = err.toString().trim();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertFalse(message.contains("Exception"), message);
        assertTrue(
                message.contains("the data of run " + run + " changed since it started"), message);
        assertTrue(message.contains(changed + ": " + before + " bytes, sha256 "), message);
        assertTrue(message.contains("(recorded) vs " + Files.size(changed) + " bytes"), message);
        assertFalse(message.contains("ca02"), message);
        assertFalse(refused.contains("unigram perplexity"), "the corpus was not read: " + refused);
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));

        // Without data.json (an older run) the model rebuilt from the changed corpus no longer
        // fits the checkpoint: refused naming the parameter, before a step is trained.
        Files.delete(run.resolve(DataFingerprint.FILE_NAME));
        // ... and a hand-made copy (no CONTENTS), which is not held to the release's counts.
        Files.delete(brown.resolve("CONTENTS"));
        String misfit = moge("train-lm", "--resume", run.toString());
        assertTrue(misfit.startsWith("2\n"), misfit);
        String shapes = err.toString().trim();
        assertFalse(shapes.contains("\n"), "one line: " + shapes);
        assertTrue(shapes.contains("does not fit the model rebuilt"), shapes);
        assertTrue(
                shapes.matches(
                        ".*parameter '[^']+' has shape \\(\\d+, 16\\) in the checkpoint but"
                                + " \\(\\d+, 16\\) in the model.*"),
                shapes);
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));
    }

    @Test
    void anEmptyOrDamagedWikiTextTrainFileIsNamedNotBlamedOnTheBatch() throws IOException {
        Path wiki = Files.createDirectories(temp.resolve("wikitext"));
        Files.writeString(wiki.resolve("wiki.train.tokens"), "");
        Files.writeString(wiki.resolve("wiki.valid.tokens"), " the end . \n");
        Files.writeString(wiki.resolve("wiki.test.tokens"), " the end . \n");
        String[] args = {
            "train-lm",
            "--preset",
            "smoge-small",
            "--data",
            wiki.toString(),
            "--output",
            temp.resolve("run").toString()
        };
        String empty = moge(args);
        assertTrue(empty.startsWith("2\n"), empty);
        String message = err.toString().trim();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(
                message.contains(wiki.resolve("wiki.train.tokens") + ": empty (0 bytes, no words)"),
                message);
        assertFalse(message.contains("--batch"), message);

        Files.write(wiki.resolve("wiki.train.tokens"), new byte[] {'a', ' ', (byte) 0xFE, '\n'});
        String garbage = moge(args);
        assertTrue(garbage.startsWith("2\n"), garbage);
        message = err.toString().trim();
        assertTrue(
                message.contains(
                        wiki.resolve("wiki.train.tokens")
                                + ": byte offset 2: byte 0xFE is not UTF-8"),
                message);
        assertFalse(message.contains("Input length"), message);
        assertFalse(Files.exists(temp.resolve("run").resolve("config.json")), message);
    }
}
