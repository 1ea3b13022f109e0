package io.github.moge.core.training.checkpoint;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.core.training.optim.StatefulOptimizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints of one run: a directory of {@code step-NNNNNNNN} checkpoint directories (layout
 * in {@link Checkpoint}).
 *
 * <p>Writes are atomic: a checkpoint is assembled in a hidden temporary directory, every file is
 * forced to disk, a SHA-256 manifest is written last, and the directory is renamed into place; then
 * all but the newest {@code keep} checkpoints are deleted. A reader therefore sees only complete
 * checkpoints, and {@link #verify(Path)} refuses one whose files were changed or truncated
 * afterwards. {@link #latest(boolean, Consumer)} falls back to an older checkpoint only when asked,
 * and then moves the refused ones aside ({@code corrupt-step-...}) rather than deleting them.
 *
 * <p>Files are DJL's parameter format, NDList encodings and JSON: never Java serialization.
 */
public final class CheckpointStore {

    static final String MODEL_PREFIX = "model";

    /** The model parameters, in DJL's format ({@code Block#saveParameters}). */
    public static final String PARAMETERS_FILE = "model-0000.params";

    /** The optimizer's state (moments, step counts) as an NDList. */
    public static final String OPTIMIZER_FILE = "optimizer.ndlist";

    /** The training step's own state (such as the sigma schedule position) as an NDList. */
    public static final String STEP_FILE = "step.ndlist";

    /** The loop's position and counters, as JSON. */
    public static final String STATE_FILE = "state.json";

    /** The run's settings, as JSON, to rebuild the same run on resume. */
    public static final String CONFIG_FILE = "config.json";

    private static final List<String> FILES =
            List.of(PARAMETERS_FILE, OPTIMIZER_FILE, STEP_FILE, STATE_FILE, CONFIG_FILE);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path directory;
    private final int keep;

    /**
     * Creates a store over a directory (created when the first checkpoint is written).
     *
     * @param directory the checkpoints directory, e.g. {@code run/checkpoints}
     * @param keep how many of the newest checkpoints to keep, at least 1
     */
    public CheckpointStore(Path directory, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be >= 1, got " + keep);
        }
        this.directory = directory;
        this.keep = keep;
    }

    /** {@return the checkpoints directory} */
    public Path getDirectory() {
        return directory;
    }

    /**
     * Returns the committed checkpoint directories, oldest first (temporary and quarantined ones
     * are not listed).
     *
     * @return the checkpoint directories by step
     * @throws IOException if the directory cannot be listed
     */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> stream = Files.list(directory)) {
            return stream.filter(Files::isDirectory)
                    .filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(CheckpointStore::stepOf))
                    .toList();
        }
    }

    /**
     * Writes a checkpoint atomically and prunes old ones.
     *
     * @param state the run position (its optimizer entries are filled in here)
     * @param model the model, whose parameters are saved in DJL's format
     * @param optimizer the optimizer whose state is saved
     * @param stepState the training step's own state, possibly empty
     * @param configuration the run configuration as JSON
     * @return the new checkpoint
     * @throws IOException if writing fails; earlier checkpoints are then untouched
     */
    public Checkpoint write(
            TrainingState state,
            Model model,
            StatefulOptimizer optimizer,
            NDList stepState,
            String configuration)
            throws IOException {
        return write(state, model, optimizer, stepState, configuration, false);
    }

    /**
     * Writes a checkpoint as {@link #write(TrainingState, Model, StatefulOptimizer, NDList,
     * String)}, optionally superseding the checkpoint of the same step: the state after an epoch's
     * evaluation replaces the one written when the run stopped before it. The old one is renamed
     * aside and deleted once the new one is in place; a crash between the two renames leaves a
     * {@code .tmp-} directory, which {@link #removeIncompleteWrites()} removes, and the resume
     * falls back to the checkpoint before.
     *
     * @param state the run's state
     * @param model the model
     * @param optimizer the optimizer
     * @param stepState the training step's carried arrays, or null
     * @param configuration the run configuration's JSON
     * @param supersede whether an existing checkpoint of this step may be replaced
     * @return the checkpoint
     * @throws IOException if writing fails; earlier checkpoints are then untouched
     */
    public Checkpoint write(
            TrainingState state,
            Model model,
            StatefulOptimizer optimizer,
            NDList stepState,
            String configuration,
            boolean supersede)
            throws IOException {
        Files.createDirectories(directory);
        String name = name(state.getStep());
        Path target = directory.resolve(name);
        if (Files.exists(target) && !supersede) {
            throw new IOException(
                    "checkpoint "
                            + target
                            + " already exists; a run never writes the same step twice."
                            + " Move it aside if it is left over from another run");
        }
        Path temp = directory.resolve(TEMP_PREFIX + name + "-" + System.nanoTime());
        Files.createDirectory(temp);
        try {
            saveParameters(model, temp);
            NDList optimizerArrays = new NDList();
            List<TrainingState.OptimizerEntry> entries = new ArrayList<>();
            for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
                NDList arrays = optimizer.getState(entry.getValue().getId());
                if (arrays != null) {
                    entries.add(
                            new TrainingState.OptimizerEntry(
                                    entry.getKey(),
                                    optimizer.getUpdateCount(entry.getValue().getId()),
                                    arrays.size()));
                    optimizerArrays.addAll(arrays);
                }
            }
            state.setOptimizerState(entries, optimizer.getStepCount());
            NDList stepArrays = stepState == null ? new NDList() : stepState;
            state.setStepStateArrays(stepArrays.size());
            AtomicFiles.writeSynced(temp.resolve(OPTIMIZER_FILE), optimizerArrays::encode);
            AtomicFiles.writeSynced(temp.resolve(STEP_FILE), stepArrays::encode);
            byte[] json = state.toJson().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.writeSynced(temp.resolve(STATE_FILE), out -> out.write(json));
            byte[] config = configuration.getBytes(StandardCharsets.UTF_8);
            AtomicFiles.writeSynced(temp.resolve(CONFIG_FILE), out -> out.write(config));
            Sha256Manifest.write(temp);
            AtomicFiles.syncDirectory(temp);
            Path superseded = null;
            if (Files.exists(target)) {
                superseded = directory.resolve(TEMP_PREFIX + "superseded-" + name);
                Files.move(target, superseded, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(directory);
            if (superseded != null) {
                deleteOwnDirectory(superseded);
            }
        } finally {
            if (Files.exists(temp)) {
                deleteOwnDirectory(temp);
            }
        }
        prune();
        return new Checkpoint(target, state);
    }

    private static void saveParameters(Model model, Path dir) throws IOException {
        model.save(dir, MODEL_PREFIX);
        Path saved;
        try (Stream<Path> stream = Files.list(dir)) {
            saved =
                    stream.filter(p -> p.getFileName().toString().matches("model-\\d+\\.params"))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IOException(
                                                    "Model.save wrote no model-*.params in "
                                                            + dir));
        }
        Path target = dir.resolve(PARAMETERS_FILE);
        if (!saved.equals(target)) {
            Files.move(saved, target);
        }
        try (java.nio.channels.FileChannel channel =
                java.nio.channels.FileChannel.open(
                        target, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /**
     * Verifies a checkpoint: every file against the manifest, and a readable state.
     *
     * @param checkpoint the checkpoint directory
     * @return the verified checkpoint
     * @throws CorruptCheckpointException if it is incomplete, changed or truncated
     * @throws IOException if it cannot be read
     */
    public Checkpoint verify(Path checkpoint) throws IOException {
        String problem = Sha256Manifest.verify(checkpoint, FILES);
        if (problem != null) {
            throw new CorruptCheckpointException(
                    checkpoint, "checkpoint " + checkpoint + " is corrupt: " + problem);
        }
        TrainingState state;
        try {
            state =
                    TrainingState.fromJson(
                            Files.readString(
                                    checkpoint.resolve(STATE_FILE), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | IOException e) {
            throw new CorruptCheckpointException(
                    checkpoint, "checkpoint " + checkpoint + " is unreadable: " + e.getMessage());
        }
        Matcher matcher = NAME.matcher(checkpoint.getFileName().toString());
        if (matcher.matches() && Long.parseLong(matcher.group(1)) != state.getStep()) {
            throw new CorruptCheckpointException(
                    checkpoint,
                    "checkpoint "
                            + checkpoint
                            + " holds step "
                            + state.getStep()
                            + ", not the step its name says");
        }
        return new Checkpoint(checkpoint, state);
    }

    /**
     * Returns the newest intact checkpoint.
     *
     * @param allowFallback whether a corrupt newest checkpoint may be skipped for an older intact
     *     one; skipped ones are renamed {@code corrupt-step-...} (kept for inspection)
     * @param warnings receives one line per skipped checkpoint
     * @return the checkpoint, or empty when the run has none
     * @throws CorruptCheckpointException if the newest is corrupt and fallback is off (the message
     *     names the previous checkpoint and how to fall back to it), or if no checkpoint is intact
     * @throws IOException if the directory cannot be read
     */
    public Optional<Checkpoint> latest(boolean allowFallback, Consumer<String> warnings)
            throws IOException {
        List<Path> all = new ArrayList<>(list());
        if (all.isEmpty()) {
            return Optional.empty();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Path candidate = all.get(i);
            try {
                return Optional.of(verify(candidate));
            } catch (CorruptCheckpointException e) {
                if (!allowFallback) {
                    String advice =
                            i > 0
                                    ? "; refusing to resume from it. To resume from the previous"
                                            + " checkpoint "
                                            + all.get(i - 1).getFileName()
                                            + " instead, pass --allow-fallback"
                                            + " (TrainingRun.Builder.optAllowFallback(true))"
                                    : "; refusing to resume from it, and there is no earlier"
                                            + " checkpoint: start a new run in a new output"
                                            + " directory";
                    throw new CorruptCheckpointException(candidate, e.getMessage() + advice);
                }
                Path aside = quarantine(candidate);
                warnings.accept(
                        e.getMessage()
                                + "; moved it to "
                                + aside.getFileName()
                                + " and falling back to the previous checkpoint");
            }
        }
        throw new CorruptCheckpointException(
                directory,
                "no intact checkpoint in " + directory + ": every one failed verification");
    }

    /**
     * Restores the model parameters and the optimizer state of a checkpoint. Call it before the
     * trainer initializes the model: DJL loads parameters by replacing the arrays, and the
     * trainer's initialization then marks them as requiring gradients.
     *
     * @param checkpoint a verified checkpoint
     * @param model the model, with the same block structure as the one saved
     * @param optimizer the optimizer to fill
     * @throws IOException if a file cannot be read
     */
    public void restore(Checkpoint checkpoint, Model model, StatefulOptimizer optimizer)
            throws IOException {
        try {
            model.load(checkpoint.getDirectory(), MODEL_PREFIX);
        } catch (MalformedModelException e) {
            throw new CorruptCheckpointException(
                    checkpoint.getDirectory(),
                    "parameters of checkpoint "
                            + checkpoint
                            + " do not fit the model: "
                            + e.getMessage());
        }
        NDManager manager = model.getNDManager();
        NDList arrays = new NDList();
        if (!checkpoint.getState().getOptimizerEntries().isEmpty()) {
            Path file = checkpoint.getDirectory().resolve(OPTIMIZER_FILE);
            try (InputStream in = Files.newInputStream(file)) {
                arrays = NDList.decode(manager, in);
            }
        }
        Map<String, Parameter> byName = new HashMap<>();
        for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
            byName.put(entry.getKey(), entry.getValue());
        }
        optimizer.resetState();
        int next = 0;
        for (TrainingState.OptimizerEntry entry : checkpoint.getState().getOptimizerEntries()) {
            Parameter parameter = byName.get(entry.parameter);
            if (parameter == null) {
                throw new IllegalStateException(
                        "checkpoint "
                                + checkpoint
                                + " has optimizer state for parameter '"
                                + entry.parameter
                                + "', which the model does not have: build the model"
                                + " from the run's saved configuration");
            }
            if (next + entry.arrays > arrays.size()) {
                throw new CorruptCheckpointException(
                        checkpoint.getDirectory(),
                        "optimizer state of checkpoint "
                                + checkpoint
                                + " holds fewer arrays than"
                                + " state.json lists");
            }
            NDList state = new NDList(arrays.subList(next, next + entry.arrays));
            next += entry.arrays;
            optimizer.setState(parameter.getId(), state, entry.updateCount);
        }
    }

    /**
     * Reads the training step's own state.
     *
     * @param checkpoint a verified checkpoint
     * @param manager where to create the arrays
     * @return the arrays, possibly none
     * @throws IOException if the file cannot be read
     */
    public NDList readStepState(Checkpoint checkpoint, NDManager manager) throws IOException {
        if (checkpoint.getState().getStepStateArrays() == 0) {
            // DJL 0.25 cannot decode the encoding of an empty NDList.
            return new NDList();
        }
        try (InputStream in = Files.newInputStream(checkpoint.getDirectory().resolve(STEP_FILE))) {
            return NDList.decode(manager, in);
        }
    }

    /**
     * Reads the run configuration stored with a checkpoint.
     *
     * @param checkpoint a verified checkpoint
     * @return the JSON text
     * @throws IOException if the file cannot be read
     */
    public String readConfiguration(Checkpoint checkpoint) throws IOException {
        return Files.readString(
                checkpoint.getDirectory().resolve(CONFIG_FILE), StandardCharsets.UTF_8);
    }

    /**
     * Deletes hidden temporary directories left by an interrupted write.
     *
     * @throws IOException if the directory cannot be listed or a leftover cannot be deleted
     */
    public void removeIncompleteWrites() throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (Stream<Path> stream = Files.list(directory)) {
            for (Path p :
                    stream.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX))
                            .toList()) {
                deleteOwnDirectory(p);
            }
        }
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = 0; i < all.size() - keep; i++) {
            deleteOwnDirectory(all.get(i));
        }
    }

    private Path quarantine(Path checkpoint) throws IOException {
        Path aside =
                directory.resolve(
                        "corrupt-" + checkpoint.getFileName() + "-" + System.currentTimeMillis());
        Files.move(checkpoint, aside);
        return aside;
    }

    /**
     * Deletes a directory this store wrote: only its own file names, then the directory if empty.
     */
    private static void deleteOwnDirectory(Path dir) throws IOException {
        try (Stream<Path> stream = Files.list(dir)) {
            stream.forEach(
                    p -> {
                        String name = p.getFileName().toString();
                        boolean own =
                                FILES.contains(name)
                                        || name.equals(Sha256Manifest.FILE_NAME)
                                        || name.matches("model-\\d+\\.params")
                                        || name.startsWith(".");
                        if (own && Files.isRegularFile(p)) {
                            try {
                                Files.delete(p);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        try {
            Files.delete(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // A foreign file inside: leave the directory rather than delete what we did not write.
        }
    }

    static String name(long step) {
        return String.format(Locale.ROOT, "step-%08d", step);
    }

    private static long stepOf(Path dir) {
        Matcher matcher = NAME.matcher(dir.getFileName().toString());
        return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
    }
}
