package io.github.moge.core.training;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.training.Trainer;
import io.github.moge.core.training.log.EpochRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Keeps the best-on-validation parameters of a run: wraps the validation {@link EpochEvaluation}
 * (its first value is minimised, e.g. perplexity) and, when an epoch improves on every earlier one,
 * writes the model's parameters to {@code lm-best-0000.params} in the run directory ({@code
 * model.load(runDirectory, "lm-best")} reads it).
 *
 * <p>It survives a resume: the best value so far is recovered from the run's {@code epochs.csv}
 * ({@link EpochRecord#readAll}), which holds every finished epoch, also those before the
 * interruption. The file is replaced atomically (written in a hidden directory beside it, forced to
 * disk, renamed over the old one), so a crash leaves the previous best or the new one, never a torn
 * file. Validation is a function of the parameters, and a resumed run reproduces them exactly, so
 * an epoch re-run after a crash writes the same file again.
 */
public final class BestParameters implements EpochEvaluation {

    /** The prefix of the parameter file: {@code lm-best-0000.params}. */
    public static final String PREFIX = "lm-best";

    /** The parameter file in the run directory. */
    public static final String FILE = ParameterFiles.fileName(PREFIX);

    private static final String TEMP_PREFIX = ParameterFiles.temporaryPrefix(PREFIX);

    private final EpochEvaluation validation;
    private final Model model;
    private final Path runDirectory;
    private boolean recovered;
    private double best = Double.POSITIVE_INFINITY;
    private int bestEpoch = -1;

    /**
     * Creates the evaluation.
     *
     * @param validation the validation measurement; its first value is the one minimised
     * @param model the trained model
     * @param runDirectory the run directory
     */
    public BestParameters(EpochEvaluation validation, Model model, Path runDirectory) {
        this.validation = validation;
        this.model = model;
        this.runDirectory = runDirectory;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return validation.names();
    }

    /** {@inheritDoc} */
    @Override
    public double[] evaluate(Trainer trainer, int epoch) throws IOException {
        if (!recovered) {
            recover(epoch);
        }
        double[] values = validation.evaluate(trainer, epoch);
        if (values[0] < best) {
            save();
            best = values[0];
            bestEpoch = epoch;
        }
        return values;
    }

    /**
     * Reads the best of the epochs finished before {@code epoch} (by earlier processes of the run).
     */
    private void recover(int epoch) throws IOException {
        removeIncompleteWrites();
        for (EpochRecord record : EpochRecord.readAll(runDirectory)) {
            Double value = record.getValidation().get(validation.names().get(0));
            if (record.getEpoch() < epoch && value != null && value < best) {
                best = value;
                bestEpoch = record.getEpoch();
            }
        }
        if (bestEpoch >= 0 && !Files.isRegularFile(runDirectory.resolve(FILE))) {
            throw new IOException(
                    runDirectory.resolve(FILE)
                            + " is missing although epochs.csv records a best epoch ("
                            + (bestEpoch + 1)
                            + "); the run directory was altered: start a new run");
        }
        recovered = true;
    }

    private void save() throws IOException {
        ParameterFiles.save(model, runDirectory, PREFIX);
    }

    /** Removes temporary directories left by a process killed while saving. */
    private void removeIncompleteWrites() throws IOException {
        if (!Files.isDirectory(runDirectory)) {
            return;
        }
        try (Stream<Path> entries = Files.list(runDirectory)) {
            for (Path p :
                    entries.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX))
                            .toList()) {
                ParameterFiles.deleteTree(p);
            }
        }
    }

    /**
     * Returns the best epoch of a finished or interrupted run, from its {@code epochs.csv}.
     *
     * @param runDirectory the run directory
     * @param name the validation value minimised
     * @return the best epoch (0-based) and value, or null if no epoch has finished
     * @throws IOException if epochs.csv cannot be read
     */
    public static Best read(Path runDirectory, String name) throws IOException {
        Best out = null;
        for (EpochRecord record : EpochRecord.readAll(runDirectory)) {
            Double value = record.getValidation().get(name);
            if (value != null && (out == null || value < out.value)) {
                out = new Best(record.getEpoch(), value);
            }
        }
        return out;
    }

    /**
     * Loads the best parameters into a model (after training: DJL replaces the parameter arrays).
     *
     * @param model the model, with the same block structure
     * @param runDirectory the run directory
     * @throws IOException if the file is missing or does not fit the model
     */
    public static void load(Model model, Path runDirectory) throws IOException {
        try {
            model.load(runDirectory, PREFIX);
        } catch (MalformedModelException e) {
            throw new IOException(
                    runDirectory.resolve(FILE) + " does not fit the model: " + e.getMessage(), e);
        }
    }

    /** The best epoch of a run and its validation value. */
    public static final class Best {
        private final int epoch;
        private final double value;

        Best(int epoch, double value) {
            this.epoch = epoch;
            this.value = value;
        }

        /** {@return the epoch, 0-based} */
        public int getEpoch() {
            return epoch;
        }

        /** {@return the validation value of that epoch} */
        public double getValue() {
            return value;
        }
    }
}
