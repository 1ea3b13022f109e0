package io.github.moge.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The main code of every module has no package cycles: the packages and the project types each one
 * uses (import lines and fully qualified names in code, comments left out) form a graph without a
 * cycle. A failure lists each cycle with the files and types that close it.
 */
class PackageCyclesTest {

    private static final String ROOT_PACKAGE = "io.github.moge";
    private static final Pattern PACKAGE =
            Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern QUALIFIED =
            Pattern.compile("\\b(io\\.github\\.moge(?:\\.[a-z]\\w*)*)\\.([A-Z]\\w*)");

    @Test
    void mainCodeHasNoPackageCycles() throws IOException {
        List<Path> sources = mainSources();
        assertTrue(sources.size() > 100, "found only " + sources.size() + " main sources");

        Map<String, Map<String, Set<String>>> uses = new TreeMap<>();
        for (Path file : sources) {
            String code = withoutCommentsAndStrings(Files.readString(file, StandardCharsets.UTF_8));
            Matcher pkg = PACKAGE.matcher(code);
            if (!pkg.find()) {
                continue;
            }
            String from = pkg.group(1);
            Map<String, Set<String>> edges = uses.computeIfAbsent(from, k -> new TreeMap<>());
            Matcher ref = QUALIFIED.matcher(code.substring(pkg.end()));
            while (ref.find()) {
                String to = ref.group(1);
                if (!to.equals(from)) {
                    edges.computeIfAbsent(to, k -> new TreeSet<>())
                            .add(file.getFileName() + " -> " + ref.group(2));
                }
            }
        }
        assertTrue(uses.keySet().stream().anyMatch(p -> p.endsWith(".core.training")));

        List<List<String>> cycles = stronglyConnected(uses);
        StringBuilder report = new StringBuilder();
        for (List<String> cycle : cycles) {
            report.append("\ncycle among ").append(cycle).append(':');
            for (String from : cycle) {
                for (String to : cycle) {
                    Set<String> why = uses.getOrDefault(from, Map.of()).get(to);
                    if (why != null) {
                        report.append("\n  ").append(from).append(" -> ").append(to).append(": ");
                        report.append(why.stream().limit(3).collect(Collectors.joining(", ")));
                    }
                }
            }
        }
        assertEquals("", report.toString(), "package cycles in main code");
    }

    /** A self-check: the detector finds a two-package cycle and accepts a chain. */
    @Test
    void detectorFindsACycle() {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        graph.put("a", Map.of("b", Set.of("A -> B")));
        graph.put("b", Map.of("c", Set.of("B -> C")));
        graph.put("c", Map.of());
        assertEquals(List.of(), stronglyConnected(graph));
        graph.put("c", Map.of("a", Set.of("C -> A")));
        assertEquals(List.of(List.of("a", "b", "c")), stronglyConnected(graph));
        assertEquals("x  y", withoutCommentsAndStrings("x /* io.github.moge.a.B */ y"));
    }

    private static List<Path> mainSources() throws IOException {
        Path root = Paths.get("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("moge-core"))) {
            root = root.getParent();
        }
        assertTrue(
                root != null,
                "the project root (with moge-core/) is not above the working directory");
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
        return files;
    }

    /**
     * Removes comments and the contents of string and character literals (javadoc links are no
     * dependency).
     */
    static String withoutCommentsAndStrings(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                int end = source.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && source.charAt(j) != c) {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                out.append(c).append(c);
                i = j + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /**
     * Tarjan's strongly connected components with more than one package, each sorted, in sorted
     * order.
     */
    static List<List<String>> stronglyConnected(Map<String, Map<String, Set<String>>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> result = new ArrayList<>();
        int[] counter = {0};
        for (String node : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, onStack, result, counter);
            }
        }
        result.sort((a, b) -> a.get(0).compareTo(b.get(0)));
        return result;
    }

    private static void connect(
            String node,
            Map<String, Map<String, Set<String>>> graph,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            Set<String> onStack,
            List<List<String>> result,
            int[] counter) {
        index.put(node, counter[0]);
        low.put(node, counter[0]);
        counter[0]++;
        stack.push(node);
        onStack.add(node);
        for (String next : graph.getOrDefault(node, Map.of()).keySet()) {
            if (!next.startsWith(ROOT_PACKAGE) && !graph.containsKey(next)) {
                continue;
            }
            if (!index.containsKey(next)) {
                connect(next, graph, index, low, stack, onStack, result, counter);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (onStack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            List<String> component = new ArrayList<>();
            String member;
            do {
                member = stack.pop();
                onStack.remove(member);
                component.add(member);
            } while (!member.equals(node));
            if (component.size() > 1) {
                component.sort(String::compareTo);
                result.add(component);
            }
        }
    }
}
