package io.github.moge.vision.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Extracts a tar archive (optionally gzip-compressed) into a directory, refusing anything a
 * dataset archive has no reason to contain.
 *
 * <p>Refused, with a {@link DataException} naming the archive and the entry: entry names that are
 * absolute, contain {@code ..} or otherwise resolve outside the target directory; symbolic and
 * hard links, devices and FIFOs; entries larger than the per-entry limit and archives whose total
 * content exceeds the total limit (both checked from the header before any byte is written, and
 * again while copying); headers with a wrong checksum. Regular files are written to a temporary
 * name and moved into place when complete, so an interrupted extraction never leaves a truncated
 * file under the final name; existing links at a destination are never followed.
 *
 * <p>Supported: POSIX ustar and old-style headers, GNU long names ({@code L} entries), and pax
 * headers that carry no path ({@code x}/{@code g} entries whose {@code path}/{@code linkpath}
 * records are refused, since they would change the name checked here).
 */
public final class SafeTarExtractor {

    private static final int BLOCK = 512;

    private final long maxEntryBytes;
    private final long maxTotalBytes;

    /**
     * Creates an extractor with size limits.
     *
     * @param maxEntryBytes the largest accepted entry
     * @param maxTotalBytes the largest accepted sum of entry sizes
     */
    public SafeTarExtractor(long maxEntryBytes, long maxTotalBytes) {
        if (maxEntryBytes <= 0 || maxTotalBytes <= 0) {
            throw new IllegalArgumentException("size limits must be positive");
        }
        this.maxEntryBytes = maxEntryBytes;
        this.maxTotalBytes = maxTotalBytes;
    }

    /**
     * Computes the MD5 digest of a file as lower-case hex.
     *
     * @param file the file
     * @return 32 hex digits
     * @throws IOException if the file cannot be read
     */
    public static String md5(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is not available", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (byte b : md.digest()) {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }

    /**
     * Extracts an archive. Gzip compression is detected from the content.
     *
     * @param archive the {@code .tar} or {@code .tar.gz} file
     * @param target the directory to extract into (created if absent)
     * @return the regular files written, in archive order
     * @throws DataException if the archive is malformed or holds a refused entry
     * @throws IOException if reading or writing fails
     */
    public List<Path> extract(Path archive, Path target) throws IOException {
        if (!Files.isRegularFile(archive)) {
            throw new DataException(archive + ": no such archive file");
        }
        Files.createDirectories(target);
        Path root = target.toRealPath();
        List<Path> written = new ArrayList<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
            extract(in, archive.toString(), root, written);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new DataException(archive + ": corrupt or truncated archive (" + e.getMessage() + ")", e);
        }
        return written;
    }

    private void extract(InputStream in, String source, Path root, List<Path> written)
            throws IOException {
        long total = 0;
        String longName = null;
        byte[] header = new byte[BLOCK];
        while (true) {
            int n = in.readNBytes(header, 0, BLOCK);
            if (n == 0) {
                return; // end of data without the two zero blocks: tolerated
            }
            if (n < BLOCK) {
                throw new DataException(source + ": truncated tar header");
            }
            if (isZero(header)) {
                return;
            }
            checkChecksum(header, source);
            String name = longName != null ? longName : headerName(header);
            longName = null;
            char type = (char) header[156];
            long size = parseOctal(header, 124, 12, source, name);
            if (size > maxEntryBytes) {
                throw new DataException(
                        source + ": entry " + name + " declares " + size + " bytes, more than the "
                                + maxEntryBytes + " a dataset file may have");
            }
            switch (type) {
                case 'L':
                    longName = trimNul(new String(readPadded(in, size, source, name), StandardCharsets.UTF_8));
                    continue;
                case 'x':
                case 'g':
                    checkPax(readPadded(in, size, source, name), source, name);
                    continue;
                case '5':
                    Files.createDirectories(safeResolve(root, name, source));
                    continue;
                case '0':
                case '\0':
                case '7':
                    break;
                case '1':
                case '2':
                    throw new DataException(
                            source + ": entry " + name + " is a " + (type == '1' ? "hard" : "symbolic")
                                    + " link; links are refused in dataset archives");
                default:
                    throw new DataException(
                            source + ": entry " + name + " has unsupported type '" + type
                                    + "' (devices, FIFOs and unknown entries are refused)");
            }
            total += size;
            if (total > maxTotalBytes) {
                throw new DataException(
                        source + ": archive content exceeds " + maxTotalBytes
                                + " bytes at entry " + name + "; refusing to extract more");
            }
            Path dest = safeResolve(root, name, source);
            if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                throw new DataException(source + ": entry " + name + " would overwrite a directory");
            }
            Files.createDirectories(dest.getParent());
            Path part = dest.resolveSibling(dest.getFileName() + ".part");
            try (OutputStream out =
                    Files.newOutputStream(
                            part,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS)) {
                copyExactly(in, out, size, source, name);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(part);
                throw e;
            }
            Files.move(part, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            skipPadding(in, size, source, name);
            written.add(dest);
        }
    }

    private static Path safeResolve(Path root, String name, String source) throws DataException {
        if (name.isEmpty()) {
            throw new DataException(source + ": entry with an empty name");
        }
        if (name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
            throw new DataException(source + ": entry " + name + " has an absolute or unsafe name; refused");
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new DataException(
                        source + ": entry " + name + " contains '..' and could escape the target directory; refused");
            }
        }
        Path dest = root.resolve(name).normalize();
        if (!dest.startsWith(root) || dest.equals(root)) {
            throw new DataException(source + ": entry " + name + " resolves outside " + root + "; refused");
        }
        // A link planted inside the target must not redirect the write either.
        for (Path p = dest.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new DataException(
                        source + ": entry " + name + " would be written through the symbolic link " + p + "; refused");
            }
        }
        if (Files.isSymbolicLink(dest)) {
            throw new DataException(source + ": entry " + name + " would overwrite the symbolic link " + dest + "; refused");
        }
        return dest;
    }

    private static void checkPax(byte[] data, String source, String name) throws DataException {
        String text = new String(data, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            int eq = line.indexOf('=');
            if (sp < 0 || eq < sp) {
                continue;
            }
            String key = line.substring(sp + 1, eq);
            if (key.equals("path") || key.equals("linkpath")) {
                throw new DataException(
                        source + ": pax header " + name + " sets '" + key + "'; such archives are not supported");
            }
        }
    }

    private static void checkChecksum(byte[] h, String source) throws DataException {
        long stored = 0;
        boolean digits = false;
        for (int i = 148; i < 156; i++) {
            int c = h[i] & 0xFF;
            if (c >= '0' && c <= '7') {
                stored = stored * 8 + (c - '0');
                digits = true;
            } else if (digits) {
                break;
            }
        }
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        if (!digits || sum != stored) {
            throw new DataException(
                    source + ": bad tar header checksum (stored " + stored + ", computed " + sum
                            + "); not a tar archive or corrupt");
        }
    }

    private static long parseOctal(byte[] h, int off, int len, String source, String name)
            throws DataException {
        if ((h[off] & 0x80) != 0) {
            throw new DataException(
                    source + ": entry " + name + " uses a base-256 size field (larger than 8 GB); refused");
        }
        long v = 0;
        boolean started = false;
        for (int i = off; i < off + len; i++) {
            int c = h[i] & 0xFF;
            if (c == 0 || (c == ' ' && started)) {
                break;
            }
            if (c == ' ') {
                continue;
            }
            if (c < '0' || c > '7') {
                throw new DataException(source + ": entry " + name + " has a malformed size field");
            }
            v = v * 8 + (c - '0');
            started = true;
        }
        return v;
    }

    private static String headerName(byte[] h) {
        String name = field(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        if (ustar) {
            String prefix = field(h, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        return name;
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int i = s.indexOf('\0');
        return i >= 0 ? s.substring(0, i) : s;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] readPadded(InputStream in, long size, String source, String name)
            throws IOException {
        if (size > (1 << 20)) {
            throw new DataException(source + ": metadata entry " + name + " of " + size + " bytes is implausible");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new DataException(source + ": truncated entry " + name);
        }
        skipPadding(in, size, source, name);
        return data;
    }

    private static void copyExactly(InputStream in, OutputStream out, long size, String source, String name)
            throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new DataException(
                        source + ": truncated entry " + name + ": " + (size - left) + " of " + size + " bytes present");
            }
            out.write(buf, 0, r);
            left -= r;
        }
    }

    private static void skipPadding(InputStream in, long size, String source, String name)
            throws IOException {
        int pad = (int) ((BLOCK - size % BLOCK) % BLOCK);
        if (pad > 0 && in.readNBytes(pad).length < pad) {
            throw new DataException(source + ": truncated padding after entry " + name);
        }
    }
}
