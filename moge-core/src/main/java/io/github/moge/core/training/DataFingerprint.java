package io.github.moge.core.training;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.moge.core.training.checkpoint.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a run trained on, recorded in its directory ({@code data.json}) when it starts and checked
 * on every resume, so that a resumed run never continues on other data.
 *
 * <p>It holds the absolute locations a command opens the data from (by role, e.g. {@code train},
 * {@code corpus}; a resume opens these, never re-resolving a relative path or re-running a search)
 * and one entry per data file: its size and the SHA-256 of its content for files up to {@value
 * #HASHED_BYTES} bytes, its size and modification time for larger ones. A data set of more than
 * {@value #MAX_FILE_ENTRIES} files (an ImageNet folder) gets one entry per directory instead,
 * summing its files' names, sizes and modification times: cheap to recompute, and a difference
 * still names the directory. Nothing is read but small files; WikiText-103's 500 MB training file
 * costs one {@code stat}.
 */
public final class DataFingerprint {

    /** The file name in a run directory. */
    public static final String FILE_NAME = "data.json";

    /** Files up to this size are fingerprinted by content, larger ones by size and time. */
    static final long HASHED_BYTES = 1 << 20;

    /** Above this many files, entries are per directory. */
    static final int MAX_FILE_ENTRIES = 10_000;

    private static final int MAX_NAMED = 5;

    private final Map<String, Path> locations;
    private final List<Path> paths;
    private final Map<String, String> entries;

    private DataFingerprint(
            Map<String, Path> locations, List<Path> paths, Map<String, String> entries) {
        this.locations = locations;
        this.paths = paths;
        this.entries = entries;
    }

    /**
     * Fingerprints the data of a run.
     *
     * @param locations where the command opens each part of the data (made absolute), in order
     * @param paths the files and directories it reads (made absolute); a directory stands for every
     *     file below it
     * @return the fingerprint
     * @throws IOException if a path is missing or cannot be read
     */
    public static DataFingerprint of(Map<String, Path> locations, List<Path> paths)
            throws IOException {
        Map<String, Path> absolute = new LinkedHashMap<>();
        locations.forEach((role, path) -> absolute.put(role, absolute(path)));
        // Two splits may share a folder: each path once.
        Set<Path> files = new LinkedHashSet<>();
        for (Path path : paths) {
            files.add(absolute(path));
        }
        List<Path> list = List.copyOf(files);
        return new DataFingerprint(absolute, list, entries(list));
    }

    private static Path absolute(Path path) {
        return path.toAbsolutePath().normalize();
    }

    /**
     * Returns where the run opens each part of its data.
     *
     * @return the absolute locations by role
     */
    public Map<String, Path> getLocations() {
        return Map.copyOf(locations);
    }

    /**
     * Returns the location of one part of the data.
     *
     * @param role the role, e.g. {@code train}
     * @return the absolute location, or null if the run recorded none for it
     */
    public Path getLocation(String role) {
        return locations.get(role);
    }

    /**
     * Fingerprints the recorded paths again, as they are now.
     *
     * @return the current fingerprint of the same paths
     * @throws IOException if a recorded path cannot be read (a missing one is an entry "missing")
     */
    public DataFingerprint recompute() throws IOException {
        return new DataFingerprint(locations, paths, entries(paths));
    }

    /**
     * Lists how another fingerprint differs from this one: locations, then entries that changed,
     * appeared or disappeared, each with both values.
     *
     * @param now the other fingerprint, e.g. {@link #recompute()}
     * @return one line per difference, empty when they agree
     */
    public List<String> differences(DataFingerprint now) {
        List<String> out = new ArrayList<>();
        TreeSet<String> roles = new TreeSet<>(locations.keySet());
        roles.addAll(now.locations.keySet());
        for (String role : roles) {
            Path a = locations.get(role);
            Path b = now.locations.get(role);
            if (a == null ? b != null : !a.equals(b)) {
                out.add(role + " location " + a + " (recorded) vs " + b + " (now)");
            }
        }
        TreeSet<String> keys = new TreeSet<>(entries.keySet());
        keys.addAll(now.entries.keySet());
        for (String key : keys) {
            String a = entries.getOrDefault(key, "absent");
            String b = now.entries.getOrDefault(key, "absent");
            if (!a.equals(b)) {
                out.add(key + ": " + a + " (recorded) vs " + b + " (now)");
            }
        }
        return out;
    }

    /**
     * Refuses data that differs from the recorded fingerprint.
     *
     * @param now the data as it is now
     * @param runDirectory the run directory, for the message
     * @throws IllegalArgumentException naming the differing files with both values
     */
    public void requireSame(DataFingerprint now, Path runDirectory) {
        List<String> differences = differences(now);
        if (differences.isEmpty()) {
            return;
        }
        List<String> named = differences.subList(0, Math.min(MAX_NAMED, differences.size()));
        String more =
                differences.size() > MAX_NAMED
                        ? "; and " + (differences.size() - MAX_NAMED) + " more"
                        : "";
        throw new IllegalArgumentException(
                "the data of run "
                        + runDirectory
                        + " changed since it started ("
                        + runDirectory.resolve(FILE_NAME)
                        + " records what it trained on): "
                        + String.join("; ", named)
                        + more
                        + ". A resumed run must read the same data: restore it, or start a new"
                        + " run with --output");
    }

    /**
     * Returns the fingerprint as JSON ({@code data.json}).
     *
     * @return the JSON text
     */
    public String toJson() {
        JsonObject json = new JsonObject();
        JsonObject where = new JsonObject();
        locations.forEach((role, path) -> where.addProperty(role, path.toString()));
        json.add("locations", where);
        com.google.gson.JsonArray list = new com.google.gson.JsonArray();
        paths.forEach(p -> list.add(p.toString()));
        json.add("paths", list);
        JsonObject files = new JsonObject();
        entries.forEach(files::addProperty);
        json.add("entries", files);
        return new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n";
    }

    /**
     * Parses {@code data.json}.
     *
     * @param json the JSON text
     * @return the fingerprint
     * @throws IllegalArgumentException if it is not a fingerprint
     */
    public static DataFingerprint fromJson(String json) {
        try {
            JsonObject root = JsonParser.parseString(json).getAsJsonObject();
            Map<String, Path> locations = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("locations").entrySet()) {
                locations.put(e.getKey(), Path.of(e.getValue().getAsString()));
            }
            List<Path> paths = new ArrayList<>();
            root.getAsJsonArray("paths").forEach(p -> paths.add(Path.of(p.getAsString())));
            Map<String, String> entries = new TreeMap<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("entries").entrySet()) {
                entries.put(e.getKey(), e.getValue().getAsString());
            }
            return new DataFingerprint(locations, List.copyOf(paths), entries);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a data fingerprint: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the fingerprint a run recorded when it started.
     *
     * @param runDirectory the run directory
     * @return the fingerprint, or null if the run recorded none (started by an older version)
     * @throws IOException if the file cannot be read or is not a fingerprint
     */
    public static DataFingerprint read(Path runDirectory) throws IOException {
        Path file = runDirectory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(
                    file + " is damaged (" + e.getMessage() + "): restore it or start a new run",
                    e);
        }
    }

    /** Writes {@code data.json} atomically. */
    void write(Path runDirectory) throws IOException {
        byte[] json = toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(runDirectory.resolve(FILE_NAME), out -> out.write(json));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataFingerprint other
                && locations.equals(other.locations)
                && paths.equals(other.paths)
                && entries.equals(other.entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    private static Map<String, String> entries(List<Path> paths) throws IOException {
        Map<String, BasicFileAttributes> files = new TreeMap<>();
        Map<String, String> entries = new TreeMap<>();
        for (Path path : paths) {
            if (!Files.exists(path)) {
                entries.put(path.toString(), "missing");
            } else if (Files.isDirectory(path)) {
                try (Stream<Path> walk = Files.walk(path, FileVisitOption.FOLLOW_LINKS)) {
                    for (Path p : (Iterable<Path>) walk::iterator) {
                        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                        if (a.isRegularFile()) {
                            files.put(p.toString(), a);
                        }
                    }
                }
            } else {
                files.put(path.toString(), Files.readAttributes(path, BasicFileAttributes.class));
            }
        }
        if (files.size() <= MAX_FILE_ENTRIES) {
            for (Map.Entry<String, BasicFileAttributes> f : files.entrySet()) {
                entries.put(f.getKey(), describe(Path.of(f.getKey()), f.getValue()));
            }
            return entries;
        }
        // Many files: one entry per directory over its files' names, sizes and times.
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, MessageDigest> digests = new TreeMap<>();
        for (Map.Entry<String, BasicFileAttributes> f : files.entrySet()) {
            Path file = Path.of(f.getKey());
            String dir = String.valueOf(file.getParent());
            long[] c = counts.computeIfAbsent(dir, d -> new long[2]);
            c[0]++;
            c[1] += f.getValue().size();
            String line =
                    file.getFileName()
                            + "\t"
                            + f.getValue().size()
                            + "\t"
                            + f.getValue().lastModifiedTime().toMillis()
                            + "\n";
            digests.computeIfAbsent(dir, d -> sha256())
                    .update(line.getBytes(StandardCharsets.UTF_8));
        }
        for (Map.Entry<String, long[]> d : counts.entrySet()) {
            entries.put(
                    d.getKey() + "/",
                    String.format(
                            Locale.ROOT,
                            "%d files, %d bytes, names/sizes/times %s",
                            d.getValue()[0],
                            d.getValue()[1],
                            shortHex(digests.get(d.getKey()).digest())));
        }
        return entries;
    }

    private static String describe(Path file, BasicFileAttributes attributes) throws IOException {
        long size = attributes.size();
        if (size > HASHED_BYTES) {
            return size + " bytes, modified " + attributes.lastModifiedTime();
        }
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return size + " bytes, sha256 " + shortHex(digest.digest());
    }

    private static String shortHex(byte[] digest) {
        return HexFormat.of().formatHex(digest).substring(0, 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
