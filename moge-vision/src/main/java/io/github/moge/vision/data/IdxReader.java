package io.github.moge.vision.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads and validates files in the IDX format used by MNIST and Fashion-MNIST.
 *
 * <p>An IDX file is a big-endian header followed by the data: a magic number {@code 0x0000TTDD}
 * ({@code TT} the element type, {@code 0x08} for unsigned bytes; {@code DD} the number of
 * dimensions), then one 32-bit size per dimension, then the elements. This reader accepts
 *
 * <ul>
 *   <li>image files: magic {@code 0x00000803} (unsigned bytes, 3 dimensions: count, rows, cols);
 *   <li>label files: magic {@code 0x00000801} (unsigned bytes, 1 dimension: count).
 * </ul>
 *
 * <p>Files are decompressed when their name ends with {@code .gz} or when their content starts with
 * the gzip magic bytes {@code 1f 8b}; otherwise they are read raw. Every check failure is a {@link
 * DataException} whose message names the file and the problem: wrong magic number, implausible
 * dimensions, truncated data (with the expected and actual byte counts), trailing bytes after the
 * data, labels outside {@code 0..numClasses-1}, and image/label count mismatch.
 */
public final class IdxReader {

    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    /**
     * Largest accepted image side; far beyond any MNIST-like data, small enough to catch garbage.
     */
    public static final int MAX_SIDE = 4096;

    /** Largest number of data bytes a file may declare (the limit of one Java array). */
    public static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8L;

    private IdxReader() {}

    /**
     * Reads an IDX image file ({@code .gz} or raw).
     *
     * @param file the file
     * @return the images
     * @throws DataException if the file is missing or malformed; the message names the file
     * @throws IOException if reading fails for another reason
     */
    public static IdxImages readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readImages(in, file.toString());
        }
    }

    /**
     * Reads IDX images from a stream, decompressing it if it starts with the gzip magic bytes.
     *
     * @param in the stream (not closed by this method)
     * @param source a name for the stream used in error messages, usually the file path
     * @return the images
     * @throws DataException if the data is malformed; the message names {@code source}
     * @throws IOException if reading fails for another reason
     */
    public static IdxImages readImages(InputStream in, String source) throws IOException {
        InputStream data = maybeGunzip(in, source, false);
        try {
            int magic = readHeaderInt(data, source, "magic number");
            checkMagic(magic, IMAGES_MAGIC, source, "image");
            int count = readHeaderInt(data, source, "image count");
            int rows = readHeaderInt(data, source, "row count");
            int cols = readHeaderInt(data, source, "column count");
            if (count <= 0) {
                throw new DataException(source + ": image count " + count + " is not positive");
            }
            if (rows <= 0 || rows > MAX_SIDE || cols <= 0 || cols > MAX_SIDE) {
                throw new DataException(
                        source
                                + ": implausible image size "
                                + rows
                                + " x "
                                + cols
                                + " (each side must be 1.."
                                + MAX_SIDE
                                + ")");
            }
            long bytes = (long) count * rows * cols;
            if (bytes > MAX_DATA_BYTES) {
                throw new DataException(
                        source
                                + ": implausible header: "
                                + count
                                + " images of "
                                + rows
                                + " x "
                                + cols
                                + " = "
                                + bytes
                                + " bytes, more than "
                                + MAX_DATA_BYTES);
            }
            byte[] pixels = readExactly(data, (int) bytes, source, 16);
            return new IdxImages(source, count, rows, cols, pixels);
        } catch (EOFException | ZipException e) {
            throw corruptGzip(source, e);
        }
    }

    /**
     * Reads an IDX label file ({@code .gz} or raw) and checks every label is in {@code
     * 0..numClasses-1}.
     *
     * @param file the file
     * @param numClasses the number of classes
     * @return one byte per example, the class index
     * @throws DataException if the file is missing or malformed; the message names the file
     * @throws IOException if reading fails for another reason
     */
    public static byte[] readLabels(Path file, int numClasses) throws IOException {
        try (InputStream in = open(file)) {
            return readLabels(in, file.toString(), numClasses);
        }
    }

    /**
     * Reads IDX labels from a stream, decompressing it if it starts with the gzip magic bytes.
     *
     * @param in the stream (not closed by this method)
     * @param source a name for the stream used in error messages, usually the file path
     * @param numClasses the number of classes; every label must be in {@code 0..numClasses-1}
     * @return one byte per example, the class index
     * @throws DataException if the data is malformed; the message names {@code source}
     * @throws IOException if reading fails for another reason
     */
    public static byte[] readLabels(InputStream in, String source, int numClasses)
            throws IOException {
        if (numClasses < 1 || numClasses > 256) {
            throw new IllegalArgumentException("numClasses must be 1..256, got " + numClasses);
        }
        InputStream data = maybeGunzip(in, source, false);
        try {
            int magic = readHeaderInt(data, source, "magic number");
            checkMagic(magic, LABELS_MAGIC, source, "label");
            int count = readHeaderInt(data, source, "label count");
            if (count <= 0) {
                throw new DataException(source + ": label count " + count + " is not positive");
            }
            byte[] labels = readExactly(data, count, source, 8);
            for (int i = 0; i < labels.length; i++) {
                int label = labels[i] & 0xFF;
                if (label >= numClasses) {
                    throw new DataException(
                            source
                                    + ": label "
                                    + label
                                    + " at index "
                                    + i
                                    + " is out of range 0.."
                                    + (numClasses - 1));
                }
            }
            return labels;
        } catch (EOFException | ZipException e) {
            throw corruptGzip(source, e);
        }
    }

    /**
     * Checks that an image file and a label file describe the same number of examples.
     *
     * @param images the images
     * @param labels the labels
     * @param labelSource the label file name, for the message
     * @throws DataException if the counts differ; the message names both files and both counts
     */
    public static void checkSameCount(IdxImages images, byte[] labels, String labelSource)
            throws DataException {
        if (images.getCount() != labels.length) {
            throw new DataException(
                    "image/label count mismatch: "
                            + images.getSource()
                            + " has "
                            + images.getCount()
                            + " images but "
                            + labelSource
                            + " has "
                            + labels.length
                            + " labels");
        }
    }

    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataException(
                    file + ": no such file", new NoSuchFileException(file.toString()));
        }
        InputStream raw = Files.newInputStream(file);
        try {
            return maybeGunzip(raw, file.toString(), file.getFileName().toString().endsWith(".gz"));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Wraps the stream in a gzip decoder when forced or when it starts with 1f 8b. */
    private static InputStream maybeGunzip(InputStream in, String source, boolean force)
            throws IOException {
        if (in instanceof GZIPInputStream) {
            return in;
        }
        BufferedInputStream buffered =
                in instanceof BufferedInputStream
                        ? (BufferedInputStream) in
                        : new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        boolean gzipMagic = b0 == 0x1f && b1 == 0x8b;
        if (!gzipMagic && !force) {
            return buffered;
        }
        if (!gzipMagic) {
            throw new DataException(
                    source
                            + ": the name ends with .gz but the content is not gzip data"
                            + " (first bytes "
                            + hex(b0)
                            + " "
                            + hex(b1)
                            + ")");
        }
        try {
            return new GZIPInputStream(buffered, 1 << 16);
        } catch (EOFException | ZipException e) {
            throw corruptGzip(source, e);
        }
    }

    private static DataException corruptGzip(String source, IOException e) {
        return new DataException(
                source + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
    }

    private static int readHeaderInt(InputStream in, String source, String what)
            throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) {
            throw new DataException(
                    source + ": truncated header: file ends while reading the " + what);
        }
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    private static void checkMagic(int magic, int expected, String source, String kind)
            throws DataException {
        if (magic == expected) {
            return;
        }
        String hint = "";
        if (magic == IMAGES_MAGIC) {
            hint = " (that is an image file)";
        } else if (magic == LABELS_MAGIC) {
            hint = " (that is a label file)";
        } else if ((magic >>> 16) == 0x1f8b) {
            hint = " (gzip data that was not decompressed)";
        }
        throw new DataException(
                String.format(
                        "%s: bad magic number 0x%08X for an IDX %s file, expected 0x%08X%s",
                        source, magic, kind, expected, hint));
    }

    /** Reads exactly {@code n} data bytes and checks nothing follows them. */
    private static byte[] readExactly(InputStream in, int n, String source, int headerBytes)
            throws IOException {
        byte[] data = in.readNBytes(n);
        if (data.length < n) {
            throw new DataException(
                    source
                            + ": truncated data: the header promises "
                            + n
                            + " bytes after the "
                            + headerBytes
                            + "-byte header, but only "
                            + data.length
                            + " are present");
        }
        long extra = 0;
        byte[] sink = new byte[8192];
        int r;
        while ((r = in.read(sink)) > 0) {
            extra += r;
        }
        if (extra > 0) {
            throw new DataException(
                    source
                            + ": "
                            + extra
                            + " trailing bytes after the expected "
                            + n
                            + " data bytes (wrong header counts or garbage at the end)");
        }
        return data;
    }

    private static String hex(int b) {
        return b < 0 ? "EOF" : String.format("%02x", b);
    }
}
