package io.github.moge.examples.training;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Bytes to a picocli command's {@link PrintWriter}, decoded as UTF-8 a line at a time: lets a
 * training loop that logs to a {@code PrintStream} write where the command's output goes (and where
 * tests read it).
 */
public final class WriterOutputStream extends OutputStream {

    private final PrintWriter writer;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    /**
     * Creates the stream.
     *
     * @param writer where decoded lines go
     */
    public WriterOutputStream(PrintWriter writer) {
        this.writer = writer;
    }

    @Override
    public synchronized void write(int b) {
        line.write(b);
        if (b == '\n') {
            flush();
        }
    }

    @Override
    public synchronized void flush() {
        writer.write(line.toString(StandardCharsets.UTF_8));
        writer.flush();
        line.reset();
    }
}
