package io.github.moge.core.training;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.moge.core.training.checkpoint.AtomicFiles;
import io.github.moge.core.training.checkpoint.CheckpointStore;
import io.github.moge.core.training.log.RunLog;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The directory of a run: {@code config.json}, the run log and {@code checkpoints/}. A new run gets
 * a directory that can be written and holds no run yet; one that holds a run is never overwritten.
 * A writer holds the directory's {@link Lock} ({@code .lock}, holding its PID) while it runs, so
 * that a second writer cannot interleave rows and checkpoints with it.
 */
final class RunDirectory {

    static final String CHECKPOINTS = "checkpoints";

    /** The lock file of a run directory. */
    static final String LOCK_FILE = ".lock";

    private RunDirectory() {}

    /**
     * Creates the directory of a new run, locks it and writes its configuration.
     *
     * @param directory the run directory
     * @param configuration the run configuration
     * @param data the fingerprint of the run's data, written as {@code data.json}, or null
     * @return the lock, held until the run ends
     * @throws IllegalArgumentException if the directory cannot be created or written
     * @throws IOException if it already holds a run or run logs, another process writes it, or
     *     writing fails
     */
    static Lock create(Path directory, RunConfiguration configuration, DataFingerprint data)
            throws IOException {
        requireWritable(directory);
        requireNoRun(directory);
        Files.createDirectories(directory);
        Lock lock = lock(directory);
        try {
            // Again under the lock: another writer may have created the run meanwhile.
            requireNoRun(directory);
            List<String> logs = loggedRows(directory);
            if (!logs.isEmpty()) {
                throw new IOException(
                        "output directory "
                                + directory
                                + " holds run logs ("
                                + String.join(", ", logs)
                                + ") but no "
                                + RunConfiguration.FILE_NAME
                                + " or checkpoint: a new run would overwrite them;"
                                + " choose a new output directory, or move the logs aside");
            }
            byte[] config = configuration.toJson().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(
                    directory.resolve(RunConfiguration.FILE_NAME), out -> out.write(config));
            if (data != null) {
                data.write(directory);
            }
            // Made now, so that a run killed before its first checkpoint is told apart from one
            // whose checkpoints were deleted (requireNoUnexplainedLogs).
            Files.createDirectories(directory.resolve(CHECKPOINTS));
            return lock;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static void requireNoRun(Path directory) throws IOException {
        if (Files.exists(directory.resolve(RunConfiguration.FILE_NAME))
                || Files.exists(directory.resolve(CHECKPOINTS))) {
            throw new IOException(
                    "output directory "
                            + directory
                            + " already holds a run: resume it with --resume "
                            + directory
                            + ", or choose a new output directory");
        }
    }

    /**
     * Refuses to restart a run from step 0 over logs that hold rows: without a checkpoint nothing
     * explains them (e.g. {@code checkpoints/} was deleted), and restarting would truncate them.
     * Logs of a run killed before its first checkpoint are the exception: the restart recomputes
     * them.
     *
     * @param directory the run directory, which holds no checkpoint
     * @throws IOException if {@code metrics.csv} or {@code epochs.csv} holds rows
     */
    static void requireNoUnexplainedLogs(Path directory) throws IOException {
        List<String> logs = loggedRows(directory);
        if (!logs.isEmpty() && !killedBeforeFirstCheckpoint(directory)) {
            throw new IOException(
                    "run directory "
                            + directory
                            + " holds run logs ("
                            + String.join(", ", logs)
                            + ") but "
                            + directory.resolve(CHECKPOINTS)
                            + " holds no checkpoint that explains them: resuming would restart"
                            + " from step 0 and overwrite them. Restore the checkpoints, or move"
                            + " the logs aside to retrain from step 0, or start a new run with"
                            + " --output");
        }
    }

    /**
     * Whether the run stopped before it wrote any checkpoint: {@code checkpoints/}, made when the
     * run started, is there and empty. Its logs then hold only steps that a restart from step 0
     * recomputes exactly, so they may be truncated. A deleted {@code checkpoints/}, or one that
     * holds only checkpoints moved aside as corrupt, is not this case.
     */
    private static boolean killedBeforeFirstCheckpoint(Path directory) throws IOException {
        Path checkpoints = directory.resolve(CHECKPOINTS);
        if (!Files.isDirectory(checkpoints)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(checkpoints)) {
            return entries.findAny().isEmpty();
        }
    }

    /** Lists the log files that hold rows beyond their header, as {@code metrics.csv (N rows)}. */
    private static List<String> loggedRows(Path directory) throws IOException {
        List<String> out = new ArrayList<>();
        for (String name : List.of(RunLog.METRICS_FILE, RunLog.EPOCHS_FILE)) {
            Path file = directory.resolve(name);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            long rows;
            try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
                rows = lines.skip(1).filter(line -> !line.isBlank()).count();
            }
            if (rows > 0) {
                out.add(file + " (" + rows + (rows == 1 ? " row)" : " rows)"));
            }
        }
        return out;
    }

    /**
     * Refuses a resume whose {@code config.json} differs from the copy in the checkpoint it resumes
     * from: the run's settings are those the checkpoint was trained with.
     *
     * @param directory the run directory
     * @param saved its {@code config.json}
     * @param checkpointCopy the checkpoint's {@code config.json} text
     * @param checkpoint the checkpoint directory, for the message
     * @throws IllegalArgumentException naming each differing key with both values
     */
    static void requireSameConfiguration(
            Path directory, RunConfiguration saved, String checkpointCopy, Path checkpoint) {
        JsonObject file = JsonParser.parseString(saved.toJson()).getAsJsonObject();
        JsonElement parsed;
        try {
            parsed = JsonParser.parseString(checkpointCopy);
        } catch (RuntimeException e) {
            return; // the checkpoint's manifest check reports a damaged copy
        }
        if (!parsed.isJsonObject()) {
            return;
        }
        JsonObject copy = parsed.getAsJsonObject();
        // Numbers compare by value (0.001 equals 1e-3), as everywhere a configuration is compared.
        List<String> differences = saved.differences(RunConfiguration.fromJson(checkpointCopy));
        if (differences.isEmpty()) {
            return;
        }
        Set<String> keys = new LinkedHashSet<>(file.keySet());
        keys.addAll(copy.keySet());
        List<String> named = new ArrayList<>();
        for (String key : keys) {
            String a = valueOf(file, key);
            String b = valueOf(copy, key);
            if (differences.stream().anyMatch(d -> d.startsWith(key + ": "))) {
                named.add(key + " " + a + " (config.json) vs " + b + " (checkpoint)");
            }
        }
        throw new IllegalArgumentException(
                directory.resolve(RunConfiguration.FILE_NAME)
                        + " differs from the checkpoint's copy ("
                        + checkpoint.resolve(CheckpointStore.CONFIG_FILE)
                        + "): "
                        + String.join("; ", named)
                        + "; restore the file or start a new run");
    }

    private static String valueOf(JsonObject json, String key) {
        return json.has(key) ? json.get(key).toString() : "absent";
    }

    /**
     * Compares a run directory's {@code config.json} with the copy in its newest checkpoint, before
     * a command builds anything from it.
     *
     * @param directory the run directory
     * @return its configuration
     * @throws IOException if there is no readable {@code config.json}
     * @throws IllegalArgumentException if the newest checkpoint's copy differs
     */
    static RunConfiguration checkedConfiguration(Path directory) throws IOException {
        RunConfiguration saved = RunConfiguration.read(directory);
        List<Path> checkpoints = store(directory, 1).list();
        if (!checkpoints.isEmpty()) {
            Path newest = checkpoints.get(checkpoints.size() - 1);
            Path copy = newest.resolve(CheckpointStore.CONFIG_FILE);
            if (Files.isRegularFile(copy)) {
                requireSameConfiguration(
                        directory, saved, Files.readString(copy, StandardCharsets.UTF_8), newest);
            }
        }
        return saved;
    }

    /**
     * Takes the exclusive lock of a run directory ({@link FileChannel#tryLock} on {@code .lock},
     * which then holds this process's PID).
     *
     * @param directory an existing run directory
     * @return the lock; closing it releases it
     * @throws IOException if another writer holds it (the message names its PID) or the lock file
     *     cannot be written
     */
    static Lock lock(Path directory) throws IOException {
        Path file = directory.resolve(LOCK_FILE);
        FileChannel channel =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        FileLock lock;
        try {
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this process, through another channel
            }
            if (lock == null) {
                String holder = holder(channel);
                throw new IOException(
                        "run directory "
                                + directory
                                + " is in use by process "
                                + holder
                                + " (it holds "
                                + file
                                + "): a second writer would corrupt its logs and checkpoints;"
                                + " wait for that process to end (or stop it), then resume");
            }
            byte[] pid =
                    (ProcessHandle.current().pid() + System.lineSeparator())
                            .getBytes(StandardCharsets.UTF_8);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(false);
            return new Lock(channel, lock);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        channel.read(buffer, 0);
        String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        return pid.isBlank() ? "(unknown PID)" : pid.strip();
    }

    /** The held lock of a run directory; {@link #close()} releases it. */
    static final class Lock implements Closeable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    /**
     * Returns the checkpoint store of a run.
     *
     * @param directory the run directory
     * @param keep how many checkpoints to keep
     * @return the store over {@code checkpoints/}
     */
    static CheckpointStore store(Path directory, int keep) {
        return new CheckpointStore(directory.resolve(CHECKPOINTS), keep);
    }

    /**
     * Requires that the directory exists and is writable, or can be created (its nearest existing
     * ancestor is a writable directory). Probes with a temporary file; nothing else is created.
     */
    private static void requireWritable(Path directory) {
        String option = "output directory";
        if (directory == null) {
            throw new IllegalArgumentException(
                    option + " is not set: give a directory for checkpoints and metrics");
        }
        Path probe = directory.toAbsolutePath();
        while (probe != null && !Files.exists(probe)) {
            probe = probe.getParent();
        }
        String fix = "; choose another " + option + " or fix the permissions";
        if (probe == null) {
            throw new IllegalArgumentException(
                    option + " " + directory + " has no existing parent directory" + fix);
        } else if (!Files.isDirectory(probe)) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "%s %s cannot be created: %s is a file, not a directory%s",
                            option,
                            directory,
                            probe,
                            fix));
        } else if (!canWrite(probe)) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "%s %s is not writable (%s refuses new files)%s",
                            option,
                            directory,
                            probe,
                            fix));
        }
    }

    private static boolean canWrite(Path dir) {
        try {
            Path file = Files.createTempFile(dir, ".moge-write-probe", ".tmp");
            Files.delete(file);
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
