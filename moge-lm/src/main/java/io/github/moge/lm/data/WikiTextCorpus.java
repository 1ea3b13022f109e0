package io.github.moge.lm.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads word-level WikiText-103 or WikiText-2: a directory holding {@code wiki.train.tokens},
 * {@code wiki.valid.tokens} and {@code wiki.test.tokens} (the "wikitext-103" / "wikitext-2"
 * archives, not the "-raw" ones). Every line is split on spaces and followed by {@code <eos>},
 * empty lines included, as in the reference language-model code; the vocabulary is every word of
 * the training file (WikiText already maps rare words to {@code <unk>}), and words of valid/test
 * absent from it map to {@code <unk>}.
 *
 * <p>Nothing is downloaded. DJL's {@code ai.djl.basicdataset.nlp.WikiText2} can fetch WikiText-2
 * when online; this reader needs the files on disk.
 */
public final class WikiTextCorpus {

    /** The three file names. */
    public static final String[] FILES = {
        "wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"
    };

    private WikiTextCorpus() {}

    /**
     * Loads a WikiText directory.
     *
     * @param directory the directory with the three token files
     * @return the corpus
     * @throws IOException if a file is missing or unreadable
     */
    public static Corpus load(Path directory) throws IOException {
        for (String file : FILES) {
            if (!Files.isRegularFile(directory.resolve(file))) {
                throw new NoSuchFileException(
                        directory.resolve(file).toString(),
                        null,
                        "WikiText needs wiki.train.tokens, wiki.valid.tokens and wiki.test.tokens"
                                + " in "
                                + directory.toAbsolutePath()
                                + ". Unpack wikitext-103-v1.zip (or wikitext-2-v1.zip) from the"
                                + " WikiText release there; this machine cannot download it.");
            }
        }
        List<String> train = readWords(directory.resolve(FILES[0]));
        Vocabulary vocabulary = Vocabulary.fromTraining(train, 0);
        return new Corpus(
                "wikitext:" + directory.getFileName(),
                vocabulary,
                vocabulary.encode(train),
                vocabulary.encode(readWords(directory.resolve(FILES[1]))),
                vocabulary.encode(readWords(directory.resolve(FILES[2]))));
    }

    /**
     * Reads one token file: each line's space-separated words followed by {@code <eos>} (lines end
     * at {@code \n}, {@code \r} or {@code \r\n}). The file must be UTF-8 without NUL characters and
     * hold at least one word.
     *
     * @param file the file
     * @return the words
     * @throws CorpusException if it is not UTF-8 or holds a NUL byte (naming the byte offset), or
     *     holds no word
     * @throws IOException if it cannot be read
     */
    public static List<String> readWords(Path file) throws IOException {
        Lines lines = new Lines(file);
        CharsetDecoder decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        CharBuffer out = CharBuffer.allocate(1 << 16);
        long consumed = 0;
        try (ReadableByteChannel channel = Files.newByteChannel(file)) {
            boolean eof = false;
            while (!eof) {
                eof = channel.read(in) < 0;
                in.flip();
                for (int i = in.position(); i < in.limit(); i++) {
                    if (in.get(i) == 0) {
                        // In UTF-8 a zero byte is always U+0000, never part of another character.
                        throw new CorpusException(
                                file
                                        + ": byte offset "
                                        + (consumed + i)
                                        + ": a NUL byte: binary data, not a WikiText token file;"
                                        + " unpack it again from the WikiText release");
                    }
                }
                CoderResult result;
                do {
                    result = decoder.decode(in, out, eof);
                    if (result.isError()) {
                        throw new CorpusException(
                                String.format(
                                        Locale.ROOT,
                                        "%s: byte offset %d: %s is not UTF-8: the file is damaged"
                                                + " or not a WikiText token file; unpack it again"
                                                + " from the WikiText release",
                                        file,
                                        consumed + in.position(),
                                        describe(in, result.length())));
                    }
                    lines.take(out);
                } while (result.isOverflow());
                consumed += in.position();
                in.compact();
            }
            decoder.flush(out);
            lines.take(out);
        }
        return lines.finish(consumed);
    }

    private static String describe(ByteBuffer in, int length) {
        StringBuilder sb = new StringBuilder(length == 1 ? "byte" : "bytes");
        for (int i = 0; i < length && in.position() + i < in.limit(); i++) {
            sb.append(String.format(Locale.ROOT, " 0x%02X", in.get(in.position() + i) & 0xFF));
        }
        return sb.toString();
    }

    /** Splits decoded text into lines and words, as {@code BufferedReader.readLine} would. */
    private static final class Lines {
        private final Path file;
        private final List<String> words = new ArrayList<>();
        private final StringBuilder line = new StringBuilder();
        private boolean afterCarriageReturn;
        private boolean pending;
        private long realWords;

        Lines(Path file) {
            this.file = file;
        }

        /** Takes the decoded characters out of {@code out}, leaving it empty. */
        void take(CharBuffer out) {
            out.flip();
            while (out.hasRemaining()) {
                char c = out.get();
                if (c == '\n' && afterCarriageReturn) {
                    afterCarriageReturn = false;
                    continue;
                }
                afterCarriageReturn = c == '\r';
                if (c == '\n' || c == '\r') {
                    endLine();
                } else {
                    line.append(c);
                    pending = true;
                }
            }
            out.clear();
        }

        private void endLine() {
            for (String word : line.toString().trim().split(" +")) {
                if (!word.isEmpty()) {
                    words.add(word);
                    realWords++;
                }
            }
            words.add(Vocabulary.EOS);
            line.setLength(0);
            pending = false;
        }

        List<String> finish(long bytes) throws CorpusException {
            if (pending) {
                endLine(); // a last line without a line end
            }
            if (realWords == 0) {
                throw new CorpusException(
                        file
                                + ": empty ("
                                + bytes
                                + " bytes, no words): the file was emptied or truncated; unpack"
                                + " it again from the WikiText release");
            }
            return words;
        }
    }
}
