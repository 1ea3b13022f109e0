package io.github.moge.examples.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.StopRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@link SignalStop} in this JVM: the first SIGTERM sets the stop request and the exit code 143,
 * the second exits at once (here: a recorded exit instead of halting the test JVM). SIGTERM rather
 * than SIGINT: a JVM started as a background job of a non-interactive shell inherits SIGINT ignored
 * and the JVM then never delivers it, so a SIGINT test would fail there; both signals take the same
 * path.
 */
class SignalStopTest {

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    void theFirstSignalRequestsAStopAndTheSecondExitsAtOnce() throws InterruptedException {
        StopRequest request = new StopRequest();
        StringWriter err = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        try (SignalStop stop =
                SignalStop.install("train-lm", request, new PrintWriter(err, true), exit::set)) {
            assertFalse(stop.received());
            assertEquals(0, stop.exitCode());
            assertNull(stop.signalName());

            sun.misc.Signal.raise(new sun.misc.Signal("TERM"));
            await(request::isRequested);
            assertTrue(request.isRequested());
            assertEquals("SIGTERM", request.getReason());
            assertTrue(stop.received());
            assertEquals(143, stop.exitCode());
            assertEquals("SIGTERM", stop.signalName());
            assertTrue(
                    err.toString()
                            .contains(
                                    "train-lm: SIGTERM received: stopping after the current step"
                                            + " with a checkpoint (send it again to exit at once)"),
                    err.toString());
            assertEquals(-1, exit.get(), "the first signal does not exit");

            sun.misc.Signal.raise(new sun.misc.Signal("TERM"));
            await(() -> exit.get() != -1);
            assertEquals(143, exit.get());
            assertTrue(
                    err.toString().contains("train-lm: SIGTERM again: exiting now (exit 143)"),
                    err.toString());
        }
    }
}
