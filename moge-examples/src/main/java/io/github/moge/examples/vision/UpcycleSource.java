package io.github.moge.examples.vision;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.UsageException;
import io.github.moge.vision.model.SparseUpcycling;
import io.github.moge.vision.preset.VisionPreset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dense model a new MoE/MoGE run is sparse-upcycled from ({@code train-vision --upcycle-from}):
 * a finished {@code train-vision} run of a dense preset (its {@code RUN/model/}), or a parameter
 * file in DJL's format ({@code PREFIX-NNNN.params}) of the sparse preset's dense counterpart.
 * {@link #open} loads it and checks, before anything trains, that {@link SparseUpcycling} can fill
 * the sparse model from it (same names and shapes); {@link #upcycler} is what the run applies to
 * its freshly initialised block.
 */
final class UpcycleSource implements AutoCloseable {

    private static final Pattern PARAMS = Pattern.compile("(.+)-(\\d{4})\\.params");

    private final Path path;
    private final String densePreset;
    private final Model dense;

    private UpcycleSource(Path path, String densePreset, Model dense) {
        this.path = path;
        this.densePreset = densePreset;
        this.dense = dense;
    }

    /**
     * Loads the dense model and checks it against the sparse run's model.
     *
     * @param path {@code --upcycle-from}: a run directory or a parameter file
     * @param sparse the sparse run's preset
     * @param overrides the sparse run's model overrides
     * @param device where the dense parameters are loaded
     * @return the source (close it after the run)
     * @throws UsageException if the path is no dense run or parameter file of that architecture
     * @throws IOException if a file cannot be read
     */
    static UpcycleSource open(
            Path path, VisionPreset sparse, VisionPreset.Overrides overrides, Device device)
            throws IOException {
        VisionPreset densePreset;
        Path file;
        if (Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve(RunConfiguration.FILE_NAME))) {
                throw new UsageException(
                        "--upcycle-from "
                                + path
                                + " holds no run (no config.json): give a finished train-vision"
                                + " run of a dense preset, or its model/model-0000.params");
            }
            VisionRunSettings s;
            try {
                s = VisionRunSettings.fromConfiguration(RunConfiguration.read(path));
            } catch (IllegalArgumentException e) {
                throw new UsageException(
                        "--upcycle-from " + path + " is not a train-vision run: " + e.getMessage());
            }
            densePreset = VisionRunModel.of(s).preset();
            if (densePreset.getKind() != VisionPreset.Kind.DENSE) {
                throw new UsageException(
                        "--upcycle-from "
                                + path
                                + " is a run of "
                                + densePreset.getName()
                                + ", which is not dense: upcycle from a run of a dense preset such"
                                + " as "
                                + denseName(sparse));
            }
            file = TrainedVisionRun.modelFile(path);
        } else if (Files.isRegularFile(path)) {
            String name = denseName(sparse);
            if (!VisionPreset.names().contains(name)) {
                throw new UsageException(
                        "--upcycle-from "
                                + path
                                + ": "
                                + sparse.getName()
                                + " has no dense preset "
                                + name
                                + " to read a parameter file as; give a dense run directory");
            }
            densePreset = VisionPreset.get(name);
            file = path;
        } else {
            throw new UsageException("--upcycle-from " + path + " does not exist");
        }
        Matcher m = PARAMS.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new UsageException(
                    "--upcycle-from "
                            + file
                            + ": not a DJL parameter file (PREFIX-NNNN.params, as Model.save"
                            + " writes)");
        }
        Block block = densePreset.newModel(1);
        Model model = Model.newInstance("dense", device);
        try {
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, densePreset.inputShape(1));
            model.load(file.getParent(), m.group(1), Map.of("epoch", m.group(2)));
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new UsageException(
                    "--upcycle-from "
                            + file
                            + " does not fit the dense preset "
                            + densePreset.getName()
                            + ": "
                            + e.getMessage());
        }
        UpcycleSource source = new UpcycleSource(path, densePreset.getName(), model);
        source.check(sparse, overrides);
        return source;
    }

    /** {@return the dense counterpart's name: the sparse name without -moe/-moge} */
    private static String denseName(VisionPreset sparse) {
        return sparse.getName().replaceFirst("-(moe|moge)-", "-");
    }

    /** Upcycles into a throwaway sparse model, so that a mismatch is refused before training. */
    private void check(VisionPreset sparse, VisionPreset.Overrides overrides) {
        Block trial = sparse.newModel(1, overrides);
        try (NDManager scope = dense.getNDManager().newSubManager()) {
            trial.initialize(scope, DataType.FLOAT32, sparse.inputShape(1));
            SparseUpcycling.upcycle(dense.getBlock(), trial);
        } catch (IllegalArgumentException e) {
            close();
            throw new UsageException(
                    "--upcycle-from "
                            + path
                            + " ("
                            + densePreset
                            + ") cannot initialise "
                            + sparse.getName()
                            + ": "
                            + e.getMessage());
        }
    }

    /**
     * Returns what the run applies to its initialised block: every shared parameter copied, every
     * expert set to the dense feed-forward at its place, routers left as initialised.
     *
     * @param out where the one-line notice goes
     * @return the initial-parameters step
     */
    Consumer<Block> upcycler(PrintWriter out) {
        return block -> {
            int layers = SparseUpcycling.upcycle(dense.getBlock(), block);
            out.printf(
                    "Upcycled from %s (%s): %d MoE layer%s from its feed-forwards, the other"
                            + " parameters copied, routers fresh%n",
                    path, densePreset, layers, layers == 1 ? "" : "s");
            out.flush();
        };
    }

    /** Closes the dense model. */
    @Override
    public void close() {
        dense.close();
    }
}
