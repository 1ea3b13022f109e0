package io.github.moge.core.training.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The SHA-256 manifest of a checkpoint directory, in the format of {@code sha256sum} ({@code <hex>
 * <name>} per line), so {@code sha256sum -c MANIFEST.sha256} also checks it by hand.
 */
final class Sha256Manifest {

    static final String FILE_NAME = "MANIFEST.sha256";

    private Sha256Manifest() {}

    /**
     * Hashes every regular file of a directory (except the manifest) and writes the manifest,
     * synced.
     */
    static void write(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> stream = Files.list(dir)) {
            files =
                    stream.filter(Files::isRegularFile)
                            .filter(p -> !p.getFileName().toString().equals(FILE_NAME))
                            .sorted()
                            .toList();
        }
        StringBuilder sb = new StringBuilder();
        for (Path file : files) {
            sb.append(hash(file)).append("  ").append(file.getFileName()).append('\n');
        }
        byte[] content = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.writeSynced(dir.resolve(FILE_NAME), out -> out.write(content));
    }

    /**
     * Checks every file listed in the manifest and that the required files are listed.
     *
     * @param dir the checkpoint directory
     * @param required names that must be listed
     * @return null if intact, else a description of the first problem
     */
    static String verify(Path dir, List<String> required) throws IOException {
        Path manifest = dir.resolve(FILE_NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "it has no " + FILE_NAME + " (an interrupted or foreign write)";
        } catch (java.nio.charset.CharacterCodingException e) {
            return FILE_NAME + " is not valid UTF-8";
        }
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : lines) {
            if (!line.matches("[0-9a-f]{64}  [A-Za-z0-9._-]+")) {
                return FILE_NAME + " has a malformed line: '" + abbreviate(line) + "'";
            }
            expected.put(line.substring(66), line.substring(0, 64));
        }
        List<String> missing = new ArrayList<>();
        for (String name : required) {
            if (!expected.containsKey(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            return FILE_NAME
                    + " does not list "
                    + String.join(", ", missing)
                    + " (truncated manifest)";
        }
        for (Map.Entry<String, String> entry : expected.entrySet()) {
            Path file = dir.resolve(entry.getKey());
            if (!Files.isRegularFile(file)) {
                return entry.getKey() + " is missing";
            }
            String actual = hash(file);
            if (!actual.equals(entry.getValue())) {
                return entry.getKey()
                        + " does not match its SHA-256 (expected "
                        + entry.getValue().substring(0, 12)
                        + "..., found "
                        + actual.substring(0, 12)
                        + "..., "
                        + Files.size(file)
                        + " bytes): the file is truncated or corrupt";
            }
        }
        return null;
    }

    static String hash(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        StringBuilder hex = new StringBuilder(64);
        for (byte b : digest.digest()) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16))
                    .append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }

    private static String abbreviate(String line) {
        return line.length() > 80 ? line.substring(0, 80) + "..." : line;
    }
}
