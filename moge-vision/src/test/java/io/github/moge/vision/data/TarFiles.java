package io.github.moge.vision.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small ustar archives for tests, including deliberately hostile entries. */
final class TarFiles {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TarFiles file(String name, byte[] data) {
        return entry(name, '0', data, data.length, "");
    }

    TarFiles entry(String name, char type, byte[] data, long declaredSize, String linkName) {
        byte[] h = new byte[512];
        put(h, 0, name, 100);
        put(h, 100, "0000644", 8);
        put(h, 108, "0000000", 8);
        put(h, 116, "0000000", 8);
        put(h, 124, String.format("%011o", declaredSize), 12);
        put(h, 136, "00000000000", 12);
        h[156] = (byte) type;
        put(h, 157, linkName, 100);
        put(h, 257, "ustar", 6);
        put(h, 263, "00", 2);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        put(h, 148, String.format("%06o", sum), 7);
        out.writeBytes(h);
        out.writeBytes(data);
        int pad = (512 - data.length % 512) % 512;
        out.writeBytes(new byte[pad]);
        return this;
    }

    /** Adds a GNU long-name record ({@code L}) that names the next entry. */
    TarFiles longName(String name) {
        byte[] b = (name + "\0").getBytes(StandardCharsets.UTF_8);
        return entry("././@LongLink", 'L', b, b.length, "");
    }

    /** Adds a pax extended header ({@code x}) with one record for the next entry. */
    TarFiles pax(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.length() + 1;
        while (String.valueOf(len).length() + body.length() != len) {
            len++;
        }
        byte[] b = (len + body).getBytes(StandardCharsets.UTF_8);
        return entry("PaxHeaders/next", 'x', b, b.length, "");
    }

    byte[] bytes() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(out.toByteArray());
        all.writeBytes(new byte[1024]);
        return all.toByteArray();
    }

    void writeGz(Path file) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
            o.write(bytes());
        }
    }

    private static void put(byte[] h, int off, String s, int len) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, Math.min(b.length, len));
    }
}
