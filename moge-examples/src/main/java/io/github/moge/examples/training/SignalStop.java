package io.github.moge.examples.training;

import io.github.moge.core.training.StopRequest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * SIGINT and SIGTERM while a command trains: the first signal sets the run's {@link StopRequest},
 * so the loop finishes the step in progress, writes a checkpoint (atomically, as always) and
 * returns, the run directory's lock is released, and the command exits with the conventional code
 * ({@link #exitCode()}: 130 for SIGINT, 143 for SIGTERM); a second signal exits at once with that
 * code (a checkpoint being written then is left as a {@code .tmp-*} directory, which the next
 * resume removes). {@link #close()} puts the previous handlers back.
 *
 * <p>Why {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported and supported in
 * practice on every JDK since 9) rather than a shutdown hook: a hook runs only after the JVM has
 * begun to exit. The training thread would then race the exit, the other hooks (the engine freeing
 * native memory) would run while a step still uses it, the command could not choose its exit code,
 * and a second signal could not be told apart from the first. A handler replaces the JVM's default
 * action instead, so the process keeps running until the checkpoint is on disk. Where the JVM
 * refuses a handler (e.g. {@code -Xrs}), that signal keeps its default action: an immediate exit,
 * recovered by {@code --resume} from the last checkpoint. A signal the JVM inherited as ignored
 * stays ignored (SIGINT of a background job started by a non-interactive shell): stop such a run
 * with SIGTERM. The {@code sun.misc} names are written out where used rather than imported, as the
 * style rules refuse imports of {@code sun.*}.
 */
public final class SignalStop implements AutoCloseable {

    private static final List<String> SIGNALS = List.of("INT", "TERM");

    private final String command;
    private final StopRequest request;
    private final PrintWriter err;
    private final IntConsumer exit;
    private final List<sun.misc.Signal> installed = new ArrayList<>();
    private final List<sun.misc.SignalHandler> previous = new ArrayList<>();
    private sun.misc.Signal received;

    private SignalStop(String command, StopRequest request, PrintWriter err, IntConsumer exit) {
        this.command = command;
        this.request = request;
        this.err = err;
        this.exit = exit;
    }

    /**
     * Installs the handlers until {@link #close()}.
     *
     * @param command the command's name, for the messages (e.g. {@code train-lm})
     * @param request the stop request the command's runs poll
     * @param err where the one-line notices go
     * @return the installed handlers
     */
    public static SignalStop install(String command, StopRequest request, PrintWriter err) {
        return install(command, request, err, Runtime.getRuntime()::halt);
    }

    /** {@link #install(String, StopRequest, PrintWriter)} with the exit of a second signal. */
    static SignalStop install(
            String command, StopRequest request, PrintWriter err, IntConsumer exit) {
        SignalStop stop = new SignalStop(command, request, err, exit);
        for (String name : SIGNALS) {
            sun.misc.Signal signal = new sun.misc.Signal(name);
            try {
                stop.previous.add(sun.misc.Signal.handle(signal, stop::handle));
                stop.installed.add(signal);
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal (e.g. -Xrs): it keeps its default action.
            }
        }
        return stop;
    }

    private void handle(sun.misc.Signal signal) {
        String name = "SIG" + signal.getName();
        int code = 128 + signal.getNumber();
        synchronized (this) {
            if (received != null) {
                err.println(command + ": " + name + " again: exiting now (exit " + code + ")");
                err.flush();
                // halt, not exit: no shutdown hooks, nothing waits for the training thread.
                exit.accept(code);
                return;
            }
            received = signal;
        }
        err.println(
                String.format(
                        Locale.ROOT,
                        "%s: %s received: stopping after the current step with a checkpoint"
                                + " (send it again to exit at once)",
                        command,
                        name));
        err.flush();
        request.request(name);
    }

    /** {@return whether a signal was received} */
    public synchronized boolean received() {
        return received != null;
    }

    /** {@return the name of the first signal received ({@code SIGTERM}), or null} */
    public synchronized String signalName() {
        return received == null ? null : "SIG" + received.getName();
    }

    /**
     * {@return the exit code of the first signal received: 128 + its number, the code a shell gives
     * a process the signal ended (130 for SIGINT, 143 for SIGTERM); 0 if none was received}
     */
    public synchronized int exitCode() {
        return received == null ? 0 : 128 + received.getNumber();
    }

    /** Puts back the handlers that were installed before. */
    @Override
    public void close() {
        for (int i = 0; i < installed.size(); i++) {
            sun.misc.Signal.handle(installed.get(i), previous.get(i));
        }
        installed.clear();
        previous.clear();
    }
}
