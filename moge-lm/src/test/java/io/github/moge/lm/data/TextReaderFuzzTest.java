package io.github.moge.lm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random truncations and byte flips (seeded) of small valid Brown and WikiText files: each damaged
 * file is either read exactly as its bytes say (text the format cannot tell from the original) or
 * refused with a {@link CorpusException}, never an unchecked exception or a hang.
 */
class TextReaderFuzzTest {

    private static final Duration PER_CASE = Duration.ofSeconds(10);

    @TempDir Path dir;

    private static byte[] damage(byte[] valid, Random random) {
        if (random.nextBoolean()) {
            return Arrays.copyOf(valid, random.nextInt(valid.length));
        }
        byte[] b = valid.clone();
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
            b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
        }
        return b;
    }

    /** The result, or the {@link CorpusException} it was refused with, within the time limit. */
    private static Object outcome(String what, Callable<List<String>> read) {
        return assertTimeoutPreemptively(
                PER_CASE,
                () -> {
                    try {
                        return read.call();
                    } catch (CorpusException e) {
                        return e;
                    }
                },
                what);
    }

    /** What a Brown file's bytes say: whitespace-separated tokens, each up to its last slash. */
    private static List<String> brownWords(byte[] bytes) {
        List<String> words = new ArrayList<>();
        for (String token : new String(bytes, StandardCharsets.ISO_8859_1).split("\\s+")) {
            if (!token.isEmpty()) {
                words.add(token.substring(0, token.lastIndexOf('/')));
            }
        }
        return words;
    }

    /** What a WikiText file's bytes say, read line by line with a strict UTF-8 decoder. */
    private static List<String> wikiWords(byte[] bytes) throws IOException {
        List<String> words = new ArrayList<>();
        try (BufferedReader reader =
                new BufferedReader(
                        new InputStreamReader(
                                new ByteArrayInputStream(bytes),
                                StandardCharsets.UTF_8
                                        .newDecoder()
                                        .onMalformedInput(CodingErrorAction.REPORT)
                                        .onUnmappableCharacter(CodingErrorAction.REPORT)))) {
            String line;
            while ((line = reader.readLine()) != null) {
                for (String word : line.trim().split(" +")) {
                    if (!word.isEmpty()) {
                        words.add(word);
                    }
                }
                words.add(Vocabulary.EOS);
            }
        }
        return words;
    }

    @Test
    void damagedBrownFilesAreReadAsTheySayOrRefused() throws Exception {
        Random random = new Random(1961);
        byte[] first =
                "\n\n\tThe/at Fulton/np-tl County/nn-tl ./.\n".getBytes(StandardCharsets.US_ASCII);
        byte[] second =
                "\n\n\tIt/pps 1-1/2/cd said/vbd ,/, ``/`` no/at evidence/nn ''/'' ./.\n\n"
                        .getBytes(StandardCharsets.US_ASCII);
        int refused = 0;
        int read = 0;
        for (int i = 0; i < 200; i++) {
            Path corpus = Files.createDirectories(dir.resolve("brown" + i));
            Files.write(corpus.resolve("ca01"), first);
            byte[] damaged = damage(second, random);
            Files.write(corpus.resolve("ca02"), damaged);
            String what = "case " + i + ": " + new String(damaged, StandardCharsets.ISO_8859_1);
            Object result = outcome(what, () -> BrownCorpus.readWords(corpus, false));
            if (result instanceof CorpusException e) {
                assertTrue(
                        e.getMessage().startsWith(corpus.resolve("ca02") + ": "), e.getMessage());
                refused++;
                continue;
            }
            read++;
            List<String> expected = new ArrayList<>(brownWords(first));
            expected.addAll(brownWords(damaged));
            assertEquals(expected, result, what);
        }
        assertTrue(refused > 50 && read > 10, refused + " refused, " + read + " read");
    }

    @Test
    void damagedWikiTextFilesAreReadAsTheySayOrRefused() throws Exception {
        Random random = new Random(103);
        String text =
                " \n"
                        + " = Valkyria Chronicles III = \n"
                        + " \n"
                        + " Senj\u014d no Valkyria 3 : <unk> Chronicles ( Japanese :"
                        + " \u6226\u5834\u306e\u30f4\u30a1\u30eb\u30ad\u30e5\u30ea\u30a23 )"
                        + " , commonly referred to as Valkyria Chronicles III . \n";
        byte[] valid = text.getBytes(StandardCharsets.UTF_8);
        int refused = 0;
        int read = 0;
        for (int i = 0; i < 200; i++) {
            byte[] damaged = damage(valid, random);
            Path file = Files.write(dir.resolve("wiki" + i + ".tokens"), damaged);
            String what = "case " + i;
            Object result = outcome(what, () -> WikiTextCorpus.readWords(file));
            if (result instanceof CorpusException e) {
                assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
                refused++;
                continue;
            }
            read++;
            assertEquals(wikiWords(damaged), result, what);
        }
        assertTrue(refused > 20 && read > 20, refused + " refused, " + read + " read");
    }
}
