package io.github.moge.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * Runs the {@code moge} command line in this JVM for a test and returns what a user would see:
 * {@code "CODE\n" + standard output + "\n" + standard error}. Standard output includes what a
 * command prints to {@code System.out} (train-lm does) besides picocli's writer.
 */
public final class CliRun {

    private CliRun() {}

    /**
     * Runs one command line.
     *
     * @param args the arguments after {@code moge}
     * @return the exit code, standard output and standard error
     */
    public static String moge(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream system = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(system, true, StandardCharsets.UTF_8));
        int code;
        try {
            code =
                    MogeCli.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                            .execute(args);
        } finally {
            System.setOut(original);
        }
        return code + "\n" + out + system.toString(StandardCharsets.UTF_8) + "\n" + err;
    }
}
