package io.github.moge.lm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WikiText reader on files generated in the real format (leading space, heading lines, empty
 * lines).
 */
class WikiTextCorpusTest {

    @TempDir Path dir;

    private void write(String name, String text) throws Exception {
        Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void eosPerLineVocabularyFromTrainUnknownsMapToUnk() throws Exception {
        write(
                "wiki.train.tokens",
                " \n = Valkyria Chronicles = \n \n the game @-@ play <unk> the end . \n");
        write("wiki.valid.tokens", " \n the novel game . \n");
        write("wiki.test.tokens", " = Valkyria = \n");
        Corpus corpus = WikiTextCorpus.load(dir);
        Vocabulary v = corpus.getVocabulary();
        // train words in order: <eos> = Valkyria Chronicles the game @-@ play <unk> end .
        assertEquals(11, v.size());
        assertEquals("<eos>", v.word(0));
        assertEquals("=", v.word(1));
        assertEquals(v.id("<unk>"), v.getUnkId());
        // 4 lines -> 4 <eos>; 0 + 4 + 0 + 8 words
        assertEquals(16, corpus.getTrain().length);
        int eos = v.id("<eos>");
        assertEquals(4, java.util.Arrays.stream(corpus.getTrain()).filter(i -> i == eos).count());
        // valid: <eos> the novel(unk) game . <eos>
        assertArrayEquals(
                new int[] {eos, v.id("the"), v.getUnkId(), v.id("game"), v.id("."), eos},
                corpus.getValid());
        assertEquals(4, corpus.getTest().length); // = Valkyria = <eos>
    }

    @Test
    void missingFileSaysWhatToUnpack() throws Exception {
        write("wiki.train.tokens", "a b\n");
        NoSuchFileException e =
                assertThrows(NoSuchFileException.class, () -> WikiTextCorpus.load(dir));
        assertTrue(e.getMessage().contains("wiki.valid.tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("wikitext-103-v1.zip"), e.getMessage());
    }

    @Test
    void garbageIsRefusedNamingTheFileAndByteOffset() throws Exception {
        write("wiki.valid.tokens", " the end . \n");
        write("wiki.test.tokens", " the end . \n");
        Path train = dir.resolve("wiki.train.tokens");
        byte[] text = " = Title = \n the caf\u00e9 . \n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(text, text.length + 3);
        bad[text.length] = 'a';
        bad[text.length + 1] = (byte) 0xFF;
        bad[text.length + 2] = 'b';
        Files.write(train, bad);
        CorpusException e = assertThrows(CorpusException.class, () -> WikiTextCorpus.load(dir));
        assertTrue(
                e.getMessage()
                        .startsWith(train + ": byte offset " + (text.length + 1) + ": byte 0xFF"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("Input length"), e.getMessage());

        // A multi-byte character cut off at the end of the file.
        Files.write(train, java.util.Arrays.copyOf(text, text.length - 5));
        e = assertThrows(CorpusException.class, () -> WikiTextCorpus.load(dir));
        assertTrue(
                e.getMessage().startsWith(train + ": byte offset " + (text.length - 6)),
                e.getMessage());

        Files.write(train, new byte[] {'a', ' ', 0, 'b', '\n'});
        e = assertThrows(CorpusException.class, () -> WikiTextCorpus.load(dir));
        assertTrue(
                e.getMessage().startsWith(train + ": byte offset 2: a NUL byte"), e.getMessage());
    }

    @Test
    void anEmptyFileIsRefusedAsEmpty() throws Exception {
        write("wiki.train.tokens", "");
        write("wiki.valid.tokens", " the end . \n");
        write("wiki.test.tokens", " the end . \n");
        CorpusException e = assertThrows(CorpusException.class, () -> WikiTextCorpus.load(dir));
        assertTrue(
                e.getMessage().startsWith(dir.resolve("wiki.train.tokens") + ": empty (0 bytes"),
                e.getMessage());
        write("wiki.train.tokens", " \n \n");
        e = assertThrows(CorpusException.class, () -> WikiTextCorpus.load(dir));
        assertTrue(e.getMessage().contains("empty (4 bytes, no words)"), e.getMessage());
    }

    @Test
    void lineEndsAreThoseOfReadLine() throws Exception {
        Path file = dir.resolve("lines");
        Files.writeString(file, "a b\r\nc\rd\n\ne", StandardCharsets.UTF_8);
        assertEquals(
                java.util.List.of(
                        "a", "b", "<eos>", "c", "<eos>", "d", "<eos>", "<eos>", "e", "<eos>"),
                WikiTextCorpus.readWords(file));
    }
}
