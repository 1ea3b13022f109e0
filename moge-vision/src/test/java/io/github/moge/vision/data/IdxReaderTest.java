package io.github.moge.vision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {

    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void readsBackExactly(boolean gz) throws IOException {
        byte[] pixels = IdxFiles.pixels(3, 4, 5);
        byte[] raw = IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 3, 4, 5, pixels);
        Path f = IdxFiles.write(dir.resolve(gz ? "img.gz" : "img"), gz ? IdxFiles.gzip(raw) : raw);
        IdxImages img = IdxReader.readImages(f);
        assertEquals(3, img.getCount());
        assertEquals(4, img.getRows());
        assertEquals(5, img.getCols());
        assertArrayEquals(pixels, img.getPixels());

        byte[] labels = {0, 9, 3, (byte) 7};
        byte[] lraw = IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 4, labels);
        Path lf =
                IdxFiles.write(dir.resolve(gz ? "lbl.gz" : "lbl"), gz ? IdxFiles.gzip(lraw) : lraw);
        assertArrayEquals(labels, IdxReader.readLabels(lf, 10));
    }

    @Test
    void detectsGzipByContent() throws IOException {
        byte[] pixels = IdxFiles.pixels(2, 3, 3);
        byte[] raw = IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 2, 3, 3, pixels);
        Path f = IdxFiles.write(dir.resolve("images-no-suffix"), IdxFiles.gzip(raw));
        assertArrayEquals(pixels, IdxReader.readImages(f).getPixels());
    }

    @Test
    void badMagic() throws IOException {
        byte[] raw = IdxFiles.imageBytes(0x00000804, 1, 2, 2, new byte[4]);
        Path f = IdxFiles.write(dir.resolve("bad-magic"), raw);
        assertMessage(
                () -> IdxReader.readImages(f), f, "bad magic number 0x00000804", "0x00000803");
        // A label file given as images says what it is.
        Path l =
                IdxFiles.write(
                        dir.resolve("labels-as-images"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 2, new byte[2]));
        assertMessage(() -> IdxReader.readImages(l), l, "bad magic", "label file");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] raw = IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 3, 4, 5, IdxFiles.pixels(3, 4, 5));
        Path f = IdxFiles.write(dir.resolve("trunc"), Arrays.copyOf(raw, raw.length - 7));
        assertMessage(() -> IdxReader.readImages(f), f, "truncated", "60 bytes", "53 are present");
        Path g =
                IdxFiles.write(
                        dir.resolve("trunc.gz"), IdxFiles.gzip(Arrays.copyOf(raw, raw.length - 7)));
        assertMessage(() -> IdxReader.readImages(g), g, "truncated", "60 bytes", "53 are present");
        Path h = IdxFiles.write(dir.resolve("header"), Arrays.copyOf(raw, 10));
        assertMessage(() -> IdxReader.readImages(h), h, "truncated header");
        byte[] gz = IdxFiles.gzip(raw);
        Path cut = IdxFiles.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        assertMessage(() -> IdxReader.readImages(cut), cut, "gzip");
    }

    @Test
    void wrongCount() throws IOException {
        // The header says 4 labels, 5 are present.
        Path f =
                IdxFiles.write(
                        dir.resolve("count"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 4, new byte[] {1, 2, 3, 4, 5}));
        assertMessage(() -> IdxReader.readLabels(f, 10), f, "1 trailing bytes", "4 data bytes");
        // The header says 6 labels, 5 are present.
        Path g =
                IdxFiles.write(
                        dir.resolve("count2"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 6, new byte[] {1, 2, 3, 4, 5}));
        assertMessage(() -> IdxReader.readLabels(g, 10), g, "truncated", "6 bytes", "only 5");
    }

    @Test
    void trailingBytes() throws IOException {
        byte[] raw = IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 2, 2, 2, new byte[8]);
        byte[] longer = Arrays.copyOf(raw, raw.length + 3);
        Path f = IdxFiles.write(dir.resolve("trailing.gz"), IdxFiles.gzip(longer));
        assertMessage(() -> IdxReader.readImages(f), f, "3 trailing bytes");
    }

    @Test
    void implausibleDimensions() throws IOException {
        Path f =
                IdxFiles.write(
                        dir.resolve("dims"),
                        IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 1, 0, 28, new byte[0]));
        assertMessage(() -> IdxReader.readImages(f), f, "implausible image size 0 x 28");
        Path g =
                IdxFiles.write(
                        dir.resolve("huge"),
                        IdxFiles.imageBytes(
                                IdxReader.IMAGES_MAGIC, 100_000_000, 28, 28, new byte[0]));
        assertMessage(() -> IdxReader.readImages(g), g, "implausible header");
        Path h =
                IdxFiles.write(
                        dir.resolve("negative"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, -1, new byte[0]));
        assertMessage(() -> IdxReader.readLabels(h, 10), h, "label count -1 is not positive");
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path f =
                IdxFiles.write(
                        dir.resolve("labels"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 3, new byte[] {0, 10, 2}));
        assertMessage(() -> IdxReader.readLabels(f, 10), f, "label 10 at index 1", "0..9");
        Path g =
                IdxFiles.write(
                        dir.resolve("labels255"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 1, new byte[] {(byte) 255}));
        assertMessage(() -> IdxReader.readLabels(g, 10), g, "label 255");
    }

    @Test
    void imageLabelCountMismatch() throws IOException {
        Path img =
                IdxFiles.write(
                        dir.resolve("i"),
                        IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 2, 1, 1, new byte[2]));
        Path lbl =
                IdxFiles.write(
                        dir.resolve("l"),
                        IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 3, new byte[3]));
        IdxImages images = IdxReader.readImages(img);
        byte[] labels = IdxReader.readLabels(lbl, 10);
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> IdxReader.checkSameCount(images, labels, lbl.toString()));
        assertContains(e.getMessage(), img.toString(), lbl.toString(), "2 images", "3 labels");
    }

    @Test
    void missingFileAndFakeGzip() throws IOException {
        Path missing = dir.resolve("nope.gz");
        assertMessage(() -> IdxReader.readImages(missing), missing, "no such file");
        Path fake =
                IdxFiles.write(
                        dir.resolve("fake.gz"),
                        IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 1, 1, 1, new byte[1]));
        assertMessage(() -> IdxReader.readImages(fake), fake, "not gzip");
    }

    interface Call {
        void run() throws IOException;
    }

    static void assertMessage(Call call, Path file, String... parts) {
        DataException e = assertThrows(DataException.class, call::run);
        assertContains(e.getMessage(), file.toString());
        assertContains(e.getMessage(), parts);
    }

    static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), () -> "expected '" + p + "' in: " + message);
        }
    }
}
