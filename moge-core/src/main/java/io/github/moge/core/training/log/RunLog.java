package io.github.moge.core.training.log;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The log of a training run: {@code metrics.csv} (a row per step), {@code epochs.csv} (a row per
 * epoch) and the console lines (progress every N steps, epoch summaries, start, resume, stop and
 * warnings).
 *
 * <p>Columns of {@code metrics.csv}: {@code step, epoch, batch, loss}, the loss components, the
 * evaluators, the step diagnostics (empty cells where one did not measure), {@code grad_norm,
 * learning_rate, skipped, samples, millis}. Columns of {@code epochs.csv}: {@code epoch, step,
 * train_loss}, {@code train_} each component and evaluator, {@code validation_loss}, {@code
 * validation_} each evaluator and epoch evaluation, {@code skipped, seconds}. The names come from
 * {@link Columns}.
 */
public final class RunLog implements Closeable {

    /** The per-step file in the run directory. */
    public static final String METRICS_FILE = "metrics.csv";

    /** The per-epoch file in the run directory. */
    public static final String EPOCHS_FILE = "epochs.csv";

    private final PrintStream console;
    private final Columns columns;
    private final int epochs;
    private final int batchesPerEpoch;
    private final int progressEvery;
    private double millisSeen;
    private long stepsSeen;
    private CsvLog steps;
    private CsvLog epochRows;

    /**
     * Creates the log of a run; the files are opened by {@link #open}.
     *
     * @param console where the lines go
     * @param columns the names of the metrics
     * @param epochs the run's number of epochs
     * @param batchesPerEpoch the run's batches per epoch
     * @param progressEvery a progress line every this many steps, 0 for none
     */
    public RunLog(
            PrintStream console,
            Columns columns,
            int epochs,
            int batchesPerEpoch,
            int progressEvery) {
        this.console = console;
        this.columns = columns;
        this.epochs = epochs;
        this.batchesPerEpoch = batchesPerEpoch;
        this.progressEvery = progressEvery;
    }

    /**
     * Opens (or creates) both CSV files of a run, dropping rows at or past the position.
     *
     * @param runDirectory the run directory
     * @param step the step of the next row of {@code metrics.csv}
     * @param epoch the epoch of the next row of {@code epochs.csv}
     * @throws IOException if a file belongs to another run or cannot be written
     */
    public void open(Path runDirectory, long step, int epoch) throws IOException {
        // Diagnostics are the columns later versions add: a run started before one existed resumes.
        steps =
                CsvLog.open(
                        runDirectory.resolve(METRICS_FILE),
                        columns.stepHeader(),
                        step,
                        Set.copyOf(columns.diagnostics()));
        try {
            epochRows =
                    CsvLog.open(runDirectory.resolve(EPOCHS_FILE), columns.epochHeader(), epoch);
        } catch (IOException | RuntimeException e) {
            steps.close();
            throw e;
        }
    }

    /**
     * Prints the line that starts a new run.
     *
     * @param runDirectory the run directory
     * @param seed the run seed
     */
    public void starting(Path runDirectory, long seed) {
        console.printf(
                Locale.ROOT,
                "Starting run in %s (seed %d, %d epoch%s x %d batch%s)%n",
                runDirectory,
                seed,
                epochs,
                epochs == 1 ? "" : "s",
                batchesPerEpoch,
                batchesPerEpoch == 1 ? "" : "es");
    }

    /**
     * Prints that a resumed run has no checkpoint yet and starts from the beginning.
     *
     * @param runDirectory the run directory
     */
    public void noCheckpoint(Path runDirectory) {
        console.printf(
                Locale.ROOT,
                "No checkpoint in %s yet: starting the run from step 0%n",
                runDirectory);
    }

    /**
     * Prints that a resumed run had finished already.
     *
     * @param runDirectory the run directory
     * @param step its last step
     */
    public void complete(Path runDirectory, long step) {
        console.printf(
                Locale.ROOT,
                "Run %s is complete (step %d); loaded its final parameters%n",
                runDirectory,
                step);
    }

    /**
     * Prints where a run resumes.
     *
     * @param runDirectory the run directory
     * @param checkpoint the checkpoint directory
     * @param step the next step
     * @param epoch the epoch of the next step, 0-based
     * @param batchInEpoch the batch of the next step within its epoch
     */
    public void resuming(
            Path runDirectory, Path checkpoint, long step, int epoch, int batchInEpoch) {
        console.printf(
                Locale.ROOT,
                "Resuming %s from %s: step %d, epoch %d, batch %d%n",
                runDirectory,
                checkpoint.getFileName(),
                step,
                epoch + 1,
                batchInEpoch);
    }

    /**
     * Prints that the run stopped on request.
     *
     * @param step the next step
     * @param runDirectory the run directory
     */
    public void stopped(long step, Path runDirectory) {
        console.printf(
                Locale.ROOT,
                "Stopped at step %d on request; resume with --resume %s%n",
                step,
                runDirectory);
    }

    /**
     * Prints a warning line.
     *
     * @param message the warning
     */
    public void warning(String message) {
        console.println("WARNING: " + message);
    }

    /**
     * Appends a step's row to {@code metrics.csv} and writes it to the file.
     *
     * @param r the step
     * @throws IOException if writing fails
     */
    public void step(StepRecord r) throws IOException {
        // A running mean of the step time since the process started, for the progress line's ETA.
        millisSeen += r.getMillis();
        stepsSeen++;
        List<String> row = new ArrayList<>();
        row.add(Long.toString(r.getStep()));
        row.add(Integer.toString(r.getEpoch()));
        row.add(Integer.toString(r.getBatchInEpoch()));
        row.add(Float.toString(r.getLoss()));
        r.getComponents().values().forEach(v -> row.add(Float.toString(v)));
        r.getEvaluations().values().forEach(v -> row.add(Float.toString(v)));
        // A diagnostic that did not measure this step leaves its cells empty.
        r.getDiagnostics().values().forEach(v -> row.add(Float.isNaN(v) ? "" : Float.toString(v)));
        row.add(Float.toString(r.getGradientNorm()));
        row.add(Float.toString(r.getLearningRate()));
        row.add(r.isSkipped() ? "1" : "0");
        row.add(Integer.toString(r.getSamples()));
        row.add(String.format(Locale.ROOT, "%.2f", r.getMillis()));
        steps.append(row);
        // Written through, so a running or killed run's metrics.csv is current; a resume drops the
        // rows past its checkpoint.
        steps.flush();
    }

    /**
     * Prints a step's progress line if it is one of every {@code progressEvery}.
     *
     * @param r the step
     */
    public void progress(StepRecord r) {
        if (progressEvery > 0 && (r.getStep() + 1) % progressEvery == 0) {
            console.println(progressLine(r));
        }
    }

    /**
     * Appends an epoch's row to {@code epochs.csv} and prints its summary line.
     *
     * @param e the epoch
     * @param step the global step after the epoch
     * @throws IOException if writing fails
     */
    public void epoch(EpochRecord e, long step) throws IOException {
        Map<String, Double> training = e.getTraining();
        Map<String, Double> validation = e.getValidation();
        List<String> row = new ArrayList<>();
        row.add(Integer.toString(e.getEpoch()));
        row.add(Long.toString(step));
        row.add(format(training.getOrDefault("loss", Double.NaN)));
        for (String component : columns.components()) {
            row.add(format(training.getOrDefault(component, Double.NaN)));
        }
        for (String evaluator : columns.evaluators()) {
            row.add(format(training.getOrDefault(evaluator, Double.NaN)));
        }
        row.add(format(validation.getOrDefault("loss", Double.NaN)));
        for (String evaluator : columns.evaluators()) {
            row.add(format(validation.getOrDefault(evaluator, Double.NaN)));
        }
        for (String name : columns.evaluations()) {
            row.add(format(validation.getOrDefault(name, Double.NaN)));
        }
        row.add(Long.toString(e.getSkippedSteps()));
        row.add(String.format(Locale.ROOT, "%.3f", e.getSeconds()));
        epochRows.append(row);
        epochRows.flush();
        console.println(epochLine(e));
    }

    /**
     * Writes the buffered rows of both files (before a checkpoint).
     *
     * @throws IOException if writing fails
     */
    public void flush() throws IOException {
        steps.flush();
        epochRows.flush();
    }

    /** Closes the files (if open). */
    @Override
    public void close() throws IOException {
        try {
            if (steps != null) {
                steps.close();
            }
        } finally {
            if (epochRows != null) {
                epochRows.close();
            }
        }
    }

    private String progressLine(StepRecord r) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "epoch %d/%d batch %d/%d step %d/%d: loss %.5f",
                        r.getEpoch() + 1,
                        epochs,
                        r.getBatchInEpoch() + 1,
                        batchesPerEpoch,
                        r.getStep() + 1,
                        (long) epochs * batchesPerEpoch,
                        r.getLoss()));
        appendValues(sb, r.getComponents(), " (", ")");
        appendValues(sb, r.getEvaluations(), " ", "");
        Map<String, Float> measured = new LinkedHashMap<>(r.getDiagnostics());
        measured.values().removeIf(v -> v.isNaN());
        appendValues(sb, measured, " [", "]");
        sb.append(
                String.format(
                        Locale.ROOT,
                        " |g| %.4g lr %.3g, %.0f samples/s, ETA %s",
                        r.getGradientNorm(),
                        r.getLearningRate(),
                        r.getSamples() * 1e3 / r.getMillis(),
                        eta(r.getStep() + 1)));
        return sb.toString();
    }

    /** The time left at this process's mean step time, e.g. {@code 1h02m}, {@code 3m20s}. */
    private String eta(long stepsDone) {
        long left = Math.max(0, (long) epochs * batchesPerEpoch - stepsDone);
        long seconds = stepsSeen == 0 ? 0 : Math.round(left * millisSeen / stepsSeen / 1e3);
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }

    private static void appendValues(
            StringBuilder sb, Map<String, Float> values, String open, String close) {
        if (values.isEmpty()) {
            return;
        }
        sb.append(open);
        String sep = "";
        for (Map.Entry<String, Float> e : values.entrySet()) {
            sb.append(sep)
                    .append(e.getKey())
                    .append(' ')
                    .append(String.format(Locale.ROOT, "%.5g", e.getValue()));
            sep = ", ";
        }
        sb.append(close);
    }

    private String epochLine(EpochRecord e) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "epoch %d/%d done in %.1f s: train",
                        e.getEpoch() + 1,
                        epochs,
                        e.getSeconds()));
        e.getTraining().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
        if (!e.getValidation().isEmpty()) {
            sb.append("; validation");
            e.getValidation()
                    .forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.5g", k, v)));
        }
        if (e.getSkippedSteps() > 0) {
            sb.append("; skipped steps so far ").append(e.getSkippedSteps());
        }
        return sb.toString();
    }

    private static String format(double value) {
        return Double.toString(value);
    }

    /**
     * The names behind the columns of a run's log.
     *
     * @param components the loss components, in order
     * @param evaluators the evaluators, in order
     * @param diagnostics the step diagnostics' value names, in order
     * @param evaluations the epoch evaluations' value names, in order
     */
    public record Columns(
            List<String> components,
            List<String> evaluators,
            List<String> diagnostics,
            List<String> evaluations) {

        /**
         * Copies the lists.
         *
         * @param components the loss components
         * @param evaluators the evaluators
         * @param diagnostics the step diagnostics' value names
         * @param evaluations the epoch evaluations' value names
         */
        public Columns {
            components = List.copyOf(components);
            evaluators = List.copyOf(evaluators);
            diagnostics = List.copyOf(diagnostics);
            evaluations = List.copyOf(evaluations);
        }

        /** {@return the header of {@code metrics.csv}} */
        public List<String> stepHeader() {
            List<String> header = new ArrayList<>(List.of("step", "epoch", "batch", "loss"));
            header.addAll(components);
            header.addAll(evaluators);
            header.addAll(diagnostics);
            header.addAll(List.of("grad_norm", "learning_rate", "skipped", "samples", "millis"));
            return header;
        }

        /** {@return the header of {@code epochs.csv}} */
        public List<String> epochHeader() {
            List<String> header = new ArrayList<>(List.of("epoch", "step", "train_loss"));
            components.forEach(c -> header.add("train_" + c));
            evaluators.forEach(e -> header.add("train_" + e));
            header.add("validation_loss");
            evaluators.forEach(e -> header.add("validation_" + e));
            evaluations.forEach(e -> header.add("validation_" + e));
            header.addAll(List.of("skipped", "seconds"));
            return header;
        }
    }
}
