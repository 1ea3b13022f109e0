package io.github.moge.vision.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
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
import java.util.Comparator;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Extracts a tar archive (optionally gzip-compressed) into a directory, refusing anything a dataset
 * archive has no reason to contain.
 *
 * <p>The archive is read with commons-compress's {@link TarArchiveInputStream}, which resolves GNU
 * long names and pax headers; every check below applies to the resulting entry. Refused, with a
 * {@link DataException} naming the archive and the entry: entry names that are absolute, contain
 * {@code ..} or otherwise resolve outside the target directory; symbolic and hard links, devices,
 * FIFOs and sparse entries; entries larger than the per-entry limit and archives whose total
 * content exceeds the total limit (both checked from the header before any byte is written, and
 * again while copying); metadata (long names, pax headers) over {@value #MAX_METADATA_BYTES} bytes;
 * headers with a wrong checksum; truncated headers and entries. Regular files are written to a
 * temporary name and moved into place when complete, so an interrupted extraction never leaves a
 * truncated file under the final name; existing links at a destination are never followed.
 *
 * <p>Its length is the safety policy (names, entry types, sizes, checksums, truncation), each case
 * with its own error message, kept in one place so the policy reads as a whole.
 */
public final class SafeTarExtractor {

    /** The most bytes read between two entries: headers, long names, pax records, padding. */
    static final int MAX_METADATA_BYTES = 1 << 20;

    private static final int BLOCK = TarConstants.DEFAULT_RCDSIZE;

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
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Extracts an archive. Gzip compression is detected from the content. The archive is extracted
     * into a hidden staging directory inside {@code target} first, and its files are moved into
     * place only after the whole archive passed every check: a refused or truncated archive leaves
     * {@code target} as it was (no partial dataset a later run could train on).
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
        Path staging = Files.createTempDirectory(root, STAGING_PREFIX).toRealPath();
        try {
            List<Path> staged = new ArrayList<>();
            try (InputStream raw =
                    new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
                raw.mark(2);
                int b0 = raw.read();
                int b1 = raw.read();
                raw.reset();
                InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
                Budget budget = new Budget(in, archive.toString());
                extract(
                        new TarStream(budget, archive.toString()),
                        budget,
                        archive.toString(),
                        staging,
                        staged);
            } catch (ZipException | EOFException e) {
                throw new DataException(
                        archive + ": corrupt or truncated archive (" + e.getMessage() + ")", e);
            }
            return moveIntoPlace(staging, root, staged, archive.toString());
        } finally {
            deleteTree(staging);
        }
    }

    /**
     * Prefix of the staging directory inside the target (hidden; removed after every extraction).
     */
    static final String STAGING_PREFIX = ".extracting-";

    private static List<Path> moveIntoPlace(
            Path staging, Path root, List<Path> staged, String source) throws IOException {
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(staging)) {
            dirs =
                    walk.filter(p -> !p.equals(staging))
                            .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                            .toList();
        }
        // Every destination is checked against the target as it is now (links planted in it, a
        // directory where a file goes) before anything moves.
        List<Path> dirDests = new ArrayList<>(dirs.size());
        for (Path dir : dirs) {
            dirDests.add(safeResolve(root, staging.relativize(dir).toString(), source));
        }
        List<Path> written = new ArrayList<>(staged.size());
        for (Path file : staged) {
            String name = staging.relativize(file).toString();
            Path dest = safeResolve(root, name, source);
            if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                throw new DataException(
                        source + ": entry " + name + " would overwrite a directory");
            }
            written.add(dest);
        }
        for (Path dest : dirDests) {
            Files.createDirectories(dest);
        }
        for (int i = 0; i < staged.size(); i++) {
            Files.move(
                    staged.get(i),
                    written.get(i),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        return written;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void extract(TarStream tar, Budget budget, String source, Path root, List<Path> written)
            throws IOException {
        long total = 0;
        String previous = null;
        while (true) {
            budget.allow(MAX_METADATA_BYTES, previous);
            TarArchiveEntry entry = tar.next(previous);
            if (entry == null) {
                return;
            }
            String name = entry.getName();
            previous = name;
            if (!entry.isCheckSumOK()) {
                throw new DataException(
                        source
                                + ": bad tar header checksum at entry "
                                + name
                                + "; not a tar archive or corrupt");
            }
            long size = entry.getSize();
            if (size > maxEntryBytes) {
                throw new DataException(
                        source
                                + ": entry "
                                + name
                                + " declares "
                                + size
                                + " bytes, more than the "
                                + maxEntryBytes
                                + " a dataset file may have");
            }
            char type = (char) entry.getLinkFlag();
            switch (type) {
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
                            source
                                    + ": entry "
                                    + name
                                    + " is a "
                                    + (type == '1' ? "hard" : "symbolic")
                                    + " link; links are refused in dataset archives");
                default:
                    throw new DataException(
                            source
                                    + ": entry "
                                    + name
                                    + " has unsupported type '"
                                    + type
                                    + "' (devices, FIFOs and unknown entries are refused)");
            }
            if (entry.isSparse()) {
                throw new DataException(
                        source
                                + ": entry "
                                + name
                                + " is a sparse file; refused in dataset archives");
            }
            if (entry.isDirectory()) {
                // An old-style directory: a regular entry whose name ends with '/'.
                Files.createDirectories(safeResolve(root, name, source));
                continue;
            }
            total += size;
            if (total > maxTotalBytes) {
                throw new DataException(
                        source
                                + ": archive content exceeds "
                                + maxTotalBytes
                                + " bytes at entry "
                                + name
                                + "; refusing to extract more");
            }
            Path dest = safeResolve(root, name, source);
            if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                throw new DataException(
                        source + ": entry " + name + " would overwrite a directory");
            }
            Files.createDirectories(dest.getParent());
            Path part = dest.resolveSibling(dest.getFileName() + ".part");
            budget.allow(size, name);
            try (OutputStream out =
                    Files.newOutputStream(
                            part,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS)) {
                copyExactly(tar, out, size, source, name);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(part);
                throw e;
            }
            Files.move(
                    part,
                    dest,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            written.add(dest);
        }
    }

    private static Path safeResolve(Path root, String name, String source) throws DataException {
        if (name.isEmpty()) {
            throw new DataException(source + ": entry with an empty name");
        }
        if (name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
            throw new DataException(
                    source + ": entry " + name + " has an absolute or unsafe name; refused");
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new DataException(
                        source
                                + ": entry "
                                + name
                                + " contains '..' and could escape the target directory; refused");
            }
        }
        Path dest = root.resolve(name).normalize();
        if (!dest.startsWith(root) || dest.equals(root)) {
            throw new DataException(
                    source + ": entry " + name + " resolves outside " + root + "; refused");
        }
        // A link planted inside the target must not redirect the write either.
        for (Path p = dest.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new DataException(
                        source
                                + ": entry "
                                + name
                                + " would be written through the symbolic link "
                                + p
                                + "; refused");
            }
        }
        if (Files.isSymbolicLink(dest)) {
            throw new DataException(
                    source
                            + ": entry "
                            + name
                            + " would overwrite the symbolic link "
                            + dest
                            + "; refused");
        }
        return dest;
    }

    private static void copyExactly(
            InputStream in, OutputStream out, long size, String source, String name)
            throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int r;
            try {
                r = in.read(buf, 0, (int) Math.min(buf.length, left));
            } catch (DataException | ZipException | EOFException e) {
                throw e;
            } catch (IOException e) {
                // commons-compress reports an entry cut short as "Truncated TAR archive".
                throw new DataException(truncated(source, name, size, left), e);
            }
            if (r < 0) {
                throw new DataException(truncated(source, name, size, left));
            }
            out.write(buf, 0, r);
            left -= r;
        }
    }

    private static String truncated(String source, String name, long size, long left) {
        return source
                + ": truncated entry "
                + name
                + ": "
                + (size - left)
                + " of "
                + size
                + " bytes present";
    }

    /**
     * A tar stream that reports a header cut short as an error ({@link TarArchiveInputStream} on
     * its own takes it for the end of the archive) and keeps the raw long names and pax records it
     * reads, so that an absolute name is refused there too: commons-compress would silently make it
     * relative.
     */
    private static final class TarStream extends TarArchiveInputStream {

        private final Budget budget;
        private final String source;
        private final Map<TarArchiveEntry, ByteArrayOutputStream> records = new IdentityHashMap<>();

        TarStream(Budget budget, String source) {
            // Lenient: uid, gid, mode and times are not used, so odd values there are no error.
            super(budget, TarConstants.DEFAULT_BLKSIZE, BLOCK, "UTF-8", true);
            this.budget = budget;
            this.source = source;
        }

        TarArchiveEntry next(String previous) throws IOException {
            records.clear();
            TarArchiveEntry entry;
            try {
                entry = getNextTarEntry();
            } catch (DataException | ZipException | EOFException e) {
                throw e;
            } catch (IOException | IllegalArgumentException e) {
                throw new DataException(
                        source
                                + ": malformed or truncated tar data"
                                + (previous == null ? "" : " after entry " + previous)
                                + " ("
                                + e.getMessage()
                                + "); not a tar archive or corrupt",
                        e);
            }
            for (Map.Entry<TarArchiveEntry, ByteArrayOutputStream> r : records.entrySet()) {
                String text = r.getValue().toString(StandardCharsets.UTF_8);
                for (String raw : rawNames(r.getKey(), text)) {
                    if (raw.startsWith("/")) {
                        throw new DataException(
                                source
                                        + ": entry "
                                        + raw
                                        + " has an absolute or unsafe name; refused");
                    }
                }
            }
            return entry;
        }

        /**
         * The entry names a long-name or pax record sets, as written in the archive (link targets
         * need no check: links are refused).
         */
        private static List<String> rawNames(TarArchiveEntry record, String text) {
            List<String> names = new ArrayList<>();
            if (record.isGNULongNameEntry()) {
                int nul = text.indexOf('\0');
                names.add(nul >= 0 ? text.substring(0, nul) : text);
            } else {
                // pax records: "<length> <key>=<value>\n"
                for (String line : text.split("\n")) {
                    int sp = line.indexOf(' ');
                    int eq = line.indexOf('=');
                    if (sp >= 0 && eq > sp) {
                        if (line.substring(sp + 1, eq).equals("path")) {
                            names.add(line.substring(eq + 1));
                        }
                    }
                }
            }
            return names;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int r = super.read(buf, off, len);
            TarArchiveEntry current = getCurrentEntry();
            if (r > 0
                    && current != null
                    && (current.isGNULongNameEntry()
                            || current.isPaxHeader()
                            || current.isGlobalPaxHeader())) {
                // Bounded by the metadata allowance of the budget.
                records.computeIfAbsent(current, k -> new ByteArrayOutputStream())
                        .write(buf, off, r);
            }
            return r;
        }

        @Override
        protected byte[] readRecord() throws IOException {
            long before = budget.consumed;
            byte[] record = super.readRecord();
            if (record == null && budget.consumed > before && !isAtEOF()) {
                throw new DataException(source + ": truncated tar header");
            }
            return record;
        }
    }

    /**
     * Counts the tar bytes read and refuses to read more than the current allowance, so that
     * neither an entry nor the metadata before one (which commons-compress reads into memory) can
     * grow beyond what the header check allowed.
     */
    private static final class Budget extends FilterInputStream {

        private final String source;
        private long left;
        private String after;
        private long consumed;

        Budget(InputStream in, String source) {
            super(in);
            this.source = source;
        }

        void allow(long bytes, String afterEntry) {
            this.left = bytes;
            this.after = afterEntry;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                throw new DataException(
                        source
                                + ": more than "
                                + MAX_METADATA_BYTES
                                + " bytes of tar metadata"
                                + " (long names, pax headers)"
                                + (after == null ? "" : " after entry " + after)
                                + "; refused");
            }
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r > 0) {
                left -= r;
                consumed += r;
            }
            return r;
        }

        @Override
        public long skip(long n) throws IOException {
            // Skipped bytes count like read ones.
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
