package io.github.moge.examples.benchmark;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * A PyTorch peer script of the project ({@code moge-examples/bench/NAME.py}, written independently
 * of the Java code and not part of the test suite), run in a child process for the side-by-side
 * rows of a benchmark. The script prints what it measured on its last line as {@code ms v1 v2 ...}.
 */
final class PythonPeer {

    private final String python;
    private final Path script;

    private PythonPeer(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /**
     * Finds the peer: the script next to the build output and a Python that imports torch.
     *
     * @param python the Python executable
     * @param scriptName the file name under {@code moge-examples/bench}
     * @return the peer, or null when the script or torch is missing
     */
    static PythonPeer find(String python, String scriptName) throws InterruptedException {
        Path script = script(scriptName);
        return script != null && hasTorch(python) ? new PythonPeer(python, script) : null;
    }

    /** {@return the command that runs the script} */
    @Override
    public String toString() {
        return python + " " + script;
    }

    /**
     * Runs the script and returns the numbers of its last line.
     *
     * @param args the script's arguments
     * @param count how many numbers the last line holds after {@code ms}
     * @return the numbers
     * @throws IOException if the script fails or prints no such line
     */
    double[] run(List<String> args, int count) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // The peer runs with the allocator a plain python3 gets: the launcher's jemalloc preload
        // (bin/moge) is this JVM's setting, and it slows torch 1.13's AdamW about tenfold.
        builder.environment().remove("LD_PRELOAD");
        builder.environment().remove("MALLOC_CONF");
        Process process = builder.start();
        String last = null;
        try (BufferedReader reader =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                last = line;
            }
        }
        int rc = process.waitFor();
        String[] parts = last == null ? new String[0] : last.trim().split(" ");
        if (rc != 0 || parts.length != count + 1 || !parts[0].equals("ms")) {
            throw new IOException(script.getFileName() + " failed (exit " + rc + "): " + last);
        }
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = Double.parseDouble(parts[i + 1]);
        }
        return values;
    }

    /**
     * Returns a peer's arguments followed by the ones every peer script takes: warm-up and timed
     * steps, this JVM's intra-op threads, and the seed.
     *
     * @param warmup the untimed steps
     * @param steps the timed steps
     * @param seed the random seed
     * @param args the script's own arguments
     * @return all arguments
     */
    static List<String> withTiming(int warmup, int steps, int seed, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(
                List.of(
                        "--warmup",
                        Integer.toString(warmup),
                        "--steps",
                        Integer.toString(steps),
                        "--threads",
                        Integer.toString(threads()),
                        "--seed",
                        Integer.toString(seed)));
        return all;
    }

    /** {@return the intra-op threads of this JVM's engine, which the peer is given too} */
    static int threads() {
        String value = System.getProperty("ai.djl.pytorch.num_threads");
        return value != null ? Integer.parseInt(value) : Runtime.getRuntime().availableProcessors();
    }

    private static boolean hasTorch(String python) throws InterruptedException {
        if (!new File(python).canExecute()) {
            return false;
        }
        try {
            Process p =
                    new ProcessBuilder(python, "-c", "import torch")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The script in the project: next to the build output (moge-examples/target/classes). */
    private static Path script(String name) {
        try {
            Path classes =
                    Paths.get(
                            PythonPeer.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            Path script = classes.getParent().getParent().resolve("bench").resolve(name);
            return Files.isRegularFile(script) ? script : null;
        } catch (java.net.URISyntaxException | SecurityException e) {
            return null;
        }
    }
}
