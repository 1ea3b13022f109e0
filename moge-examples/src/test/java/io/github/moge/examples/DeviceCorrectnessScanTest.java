package io.github.moge.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Scans the main sources of every module for code that breaks training on a device other than the
 * default one, or on several: an array on a new base manager (it lives on the engine's default
 * device, not on its input's), a fixed {@code Device.cpu()}/{@code Device.gpu(n)}/default device,
 * and, in model code (what runs in a forward or backward pass), host reads such as {@code
 * toFloatArray()} or {@code getFloat()}, which stall the device and leave the graph. A finding
 * fails with its file and line; the exceptions are in {@link #ALLOWED}, each with why it is safe.
 */
class DeviceCorrectnessScanTest {

    /** Model code: the blocks, losses and their helpers, whose code runs in forward or backward. */
    static final List<String> MODEL_CODE =
            List.of(
                    "io/github/moge/core/[A-Za-z]+\\.java",
                    "io/github/moge/core/(routing|dispatch|experts|balance|ops)/.*",
                    "io/github/moge/vision/model/.*",
                    "io/github/moge/lm/model/.*");

    /**
     * Code on the training path: model code, the training loops, metrics and transforms that run on
     * the batch's device.
     */
    static final List<String> TRAINING_PATH =
            List.of(
                    "io/github/moge/core/.*",
                    "io/github/moge/vision/(model|train|transform)/.*",
                    "io/github/moge/lm/(model|training)/.*");

    /** A pattern, where it applies, and why it breaks device correctness. */
    record Rule(String id, Pattern pattern, List<String> scope, String why) {}

    static final List<Rule> RULES =
            List.of(
                    new Rule(
                            "new-base-manager",
                            Pattern.compile("NDManager\\s*\\.\\s*newBaseManager\\s*\\("),
                            TRAINING_PATH,
                            "arrays on a new base manager live on the default device, not on"
                                    + " their input's: create them on the input's manager"),
                    new Rule(
                            "fixed-device",
                            Pattern.compile(
                                    "Device\\s*\\.\\s*(cpu|gpu)\\s*\\(|\\.defaultDevice\\s*\\("),
                            TRAINING_PATH,
                            "a fixed device: take the device of the input (or the run's)"),
                    new Rule(
                            "host-read",
                            Pattern.compile(
                                    "\\.(toArray|toFloatArray|toDoubleArray|toLongArray"
                                            + "|toIntArray|toBooleanArray|toByteArray"
                                            + "|toUint8Array)\\s*\\(\\s*\\)"
                                            + "|\\.(getFloat|getDouble|getLong|getInt|getBoolean"
                                            + "|getByte|getUint8)\\s*\\("),
                            MODEL_CODE,
                            "a host read in model code stalls the device every step and leaves"
                                    + " the graph: keep the value on the device"));

    /**
     * The exceptions, by {@code file name#rule}, each with why it is safe. An entry that no longer
     * matches anything fails the test too, so the list stays true.
     */
    static final Map<String, String> ALLOWED =
            Map.of(
                    "TokenDispatcher.java#host-read",
                    "the documented dropless capacity read: without a capacity factor the buffer"
                            + " size is the largest expert load, a shape, which the host must know;"
                            + " one read of two integers per layer and step",
                    "TruncatedNormalInitializer.java#host-read",
                    "parameter initialization, not forward or backward: the resampling loop ends"
                            + " when no draw is out of bounds",
                    "DeviceNames.java#fixed-device",
                    "parses and prints device names; creates no array",
                    "RunSpec.java#fixed-device",
                    "the default when a run names no device; the model must live on it (checked)",
                    "VisionTrainer.java#fixed-device",
                    "the default when the caller names no device; the model is created on it");

    @Test
    void mainSourcesCreateArraysOnTheirInputsDeviceAndReadNothingBackInForward()
            throws IOException {
        List<String> findings = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Path file : mainSources()) {
            String relative = relativeToSourceRoot(file);
            List<String> lines = codeLines(Files.readString(file, StandardCharsets.UTF_8));
            for (Rule rule : RULES) {
                if (!inScope(relative, rule.scope())) {
                    continue;
                }
                String key = file.getFileName() + "#" + rule.id();
                for (int i = 0; i < lines.size(); i++) {
                    if (!rule.pattern().matcher(lines.get(i)).find()) {
                        continue;
                    }
                    if (ALLOWED.containsKey(key)) {
                        used.add(key);
                    } else {
                        findings.add(file + ":" + (i + 1) + ": " + rule.id() + ": " + rule.why());
                    }
                }
            }
        }
        assertTrue(findings.isEmpty(), String.join(System.lineSeparator(), findings));
        Set<String> stale = new HashSet<>(ALLOWED.keySet());
        stale.removeAll(used);
        assertTrue(stale.isEmpty(), "allow-list entries that match nothing: " + stale);
    }

    @Test
    void theScanSeesCodeNotCommentsOrStrings() {
        List<String> lines =
                codeLines(
                        "a(); // x.toFloatArray()\n"
                                + "/* Device.cpu()\n still comment */ b(\"getFloat(\");\n"
                                + "c.getFloat();\n");
        // The comment spans two lines; line numbers stay those of the source.
        assertEquals(4, lines.size());
        Rule hostRead = RULES.get(2);
        Rule fixedDevice = RULES.get(1);
        for (int i = 0; i < 3; i++) {
            assertTrue(!hostRead.pattern().matcher(lines.get(i)).find(), lines.get(i));
            assertTrue(!fixedDevice.pattern().matcher(lines.get(i)).find(), lines.get(i));
        }
        assertTrue(hostRead.pattern().matcher(lines.get(3)).find(), lines.get(3));
        assertTrue(inScope("io/github/moge/core/MoeBlock.java", MODEL_CODE));
        assertTrue(!inScope("io/github/moge/core/training/StepMetrics.java", MODEL_CODE));
        assertTrue(inScope("io/github/moge/core/dispatch/TokenDispatcher.java", MODEL_CODE));
    }

    private static boolean inScope(String relative, List<String> scope) {
        return scope.stream().anyMatch(relative::matches);
    }

    private static String relativeToSourceRoot(Path file) {
        String path = file.toString().replace('\\', '/');
        int at = path.indexOf("src/main/java/");
        return path.substring(at + "src/main/java/".length());
    }

    /**
     * Returns the source's lines with comments and the contents of string and character literals
     * blanked, so that line numbers stay those of the file.
     */
    static List<String> codeLines(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                keepNewlines(source, i, end, out);
                i = end;
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                int end = source.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && source.charAt(j) != c && source.charAt(j) != '\n') {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                out.append(c).append(c);
                i = Math.min(n, j + 1);
            } else {
                out.append(c);
                i++;
            }
        }
        return List.of(out.toString().split("\n", -1)).subList(0, lineCount(out));
    }

    private static int lineCount(StringBuilder text) {
        int lines = text.toString().split("\n", -1).length;
        return text.length() > 0 && text.charAt(text.length() - 1) == '\n' ? lines - 1 : lines;
    }

    private static void keepNewlines(String source, int from, int to, StringBuilder out) {
        for (int k = from; k < to; k++) {
            if (source.charAt(k) == '\n') {
                out.append('\n');
            }
        }
    }

    private static List<Path> mainSources() throws IOException {
        Path root = Paths.get("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("moge-core"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "the project root (with moge-core/) is not above the directory");
        List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module :
                    modules.filter(p -> p.getFileName().toString().startsWith("moge-"))
                            .collect(Collectors.toList())) {
                Path main = module.resolve("src/main/java");
                if (Files.isDirectory(main)) {
                    try (Stream<Path> walk = Files.walk(main)) {
                        walk.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        assertTrue(files.size() > 100, "found only " + files.size() + " main sources");
        return files;
    }
}
