package io.github.moge.examples.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.compare.RunStoppedException;
import io.github.moge.core.training.StopRequest;
import io.github.moge.examples.MogeCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandExecutorTest {

    @TempDir Path dir;

    @Test
    void childJvmRunsTheCommandLineWithItsLog() throws Exception {
        PrintWriter sink = new PrintWriter(new StringWriter());
        CommandExecutor child =
                new CommandExecutor(
                        MogeCli::newCommandLine,
                        MogeCli.class.getName(),
                        true,
                        sink,
                        sink,
                        new StopRequest());
        Path log = dir.resolve("seed-1").resolve("arm.log");
        child.execute(List.of("train-vision", "--help"), log);
        assertTrue(
                Files.readString(log).contains("Usage: moge train-vision"), Files.readString(log));
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> child.execute(List.of("train-vision", "--epoch", "1"), log));
        assertTrue(e.getMessage().contains("exited with 2"), e.getMessage());
    }

    @Test
    void aStopRequestTerminatesTheChildJvmAndReportsTheStop() {
        // The child sleeps for a minute; the stop request (the comparison's signal handler) sends
        // it SIGTERM, and its exit 143 is a stop, not a failure.
        PrintWriter sink = new PrintWriter(new StringWriter());
        StopRequest stop = new StopRequest();
        stop.request("SIGTERM");
        CommandExecutor child =
                new CommandExecutor(
                        MogeCli::newCommandLine, Sleeper.class.getName(), true, sink, sink, stop);
        long start = System.nanoTime();
        RunStoppedException e =
                assertThrows(
                        RunStoppedException.class,
                        () -> child.execute(List.of("60000"), dir.resolve("sleeper.log")));
        assertTrue((System.nanoTime() - start) / 1e9 < 30, "the child was not terminated");
        assertEquals("SIGTERM", e.getReason());
        assertTrue(e.getMessage().contains("stopped by SIGTERM with a checkpoint"), e.getMessage());
    }

    @Test
    void anInProcessRunThatExits130IsAStop() {
        PrintWriter sink = new PrintWriter(new StringWriter());
        CommandExecutor inProcess =
                new CommandExecutor(
                        (out, err) -> new CommandLine(new ExitWith()),
                        MogeCli.class.getName(),
                        false,
                        sink,
                        sink,
                        new StopRequest());
        RunStoppedException e =
                assertThrows(
                        RunStoppedException.class,
                        () -> inProcess.execute(List.of("130"), dir.resolve("unused.log")));
        assertEquals("SIGINT", e.getReason());
        IOException failed =
                assertThrows(
                        IOException.class,
                        () -> inProcess.execute(List.of("3"), dir.resolve("unused.log")));
        assertTrue(failed.getMessage().contains("exited with 3"), failed.getMessage());
    }

    /** A child JVM's main that sleeps for the given milliseconds. */
    public static final class Sleeper {
        private Sleeper() {}

        /**
         * Sleeps.
         *
         * @param args the milliseconds
         * @throws InterruptedException never expected
         */
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(Long.parseLong(args[0]));
        }
    }

    /** A command that exits with the code it is given. */
    @CommandLine.Command(name = "exit-with")
    static final class ExitWith implements Callable<Integer> {
        @CommandLine.Parameters(index = "0")
        int code;

        @Override
        public Integer call() {
            return code;
        }
    }
}
