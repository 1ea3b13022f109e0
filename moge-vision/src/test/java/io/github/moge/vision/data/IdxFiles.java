package io.github.moge.vision.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
final class IdxFiles {

    private IdxFiles() {}

    static byte[] imageBytes(int magic, int count, int rows, int cols, byte[] pixels) {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(magic).putInt(count).putInt(rows).putInt(cols).put(pixels);
        return b.array();
    }

    static byte[] labelBytes(int magic, int count, byte[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(magic).putInt(count).put(labels);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(raw);
        }
        return bos.toByteArray();
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.write(file, content);
        return file;
    }

    /** Deterministic pixels: image i, pixel p = (i * 31 + p * 7) mod 256. */
    static byte[] pixels(int count, int rows, int cols) {
        byte[] p = new byte[count * rows * cols];
        for (int i = 0; i < p.length; i++) {
            int image = i / (rows * cols);
            p[i] = (byte) ((image * 31 + (i % (rows * cols)) * 7) & 0xFF);
        }
        return p;
    }

    static byte[] labels(int count) {
        byte[] l = new byte[count];
        for (int i = 0; i < count; i++) {
            l[i] = (byte) (i % 10);
        }
        return l;
    }

    /** Writes a full 28 x 28 split (images and labels) under the given prefix, gzipped or raw. */
    static void writeSplit(Path dir, String prefix, int count, boolean gz) throws IOException {
        byte[] img = imageBytes(IdxReader.IMAGES_MAGIC, count, 28, 28, pixels(count, 28, 28));
        byte[] lbl = labelBytes(IdxReader.LABELS_MAGIC, count, labels(count));
        String ext = gz ? ".gz" : "";
        write(dir.resolve(prefix + "-images-idx3-ubyte" + ext), gz ? gzip(img) : img);
        write(dir.resolve(prefix + "-labels-idx1-ubyte" + ext), gz ? gzip(lbl) : lbl);
    }
}
