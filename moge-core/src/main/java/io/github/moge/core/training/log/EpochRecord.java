package io.github.moge.core.training.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The summary of one epoch: sample-weighted means of the training metrics over its batches
 * (including batches run before a resume), validation metrics if a validation set is configured,
 * and wall time.
 */
public final class EpochRecord {

    private final int epoch;
    private final Map<String, Double> training;
    private final Map<String, Double> validation;
    private final long skippedSteps;
    private final double seconds;

    /**
     * Creates the record of one finished epoch.
     *
     * @param epoch the epoch, from 0
     * @param training the epoch's training metrics by name
     * @param validation the epoch's validation values by name
     * @param skippedSteps the steps skipped in the epoch (non-finite loss or gradient)
     * @param seconds the epoch's wall time
     */
    public EpochRecord(
            int epoch,
            Map<String, Double> training,
            Map<String, Double> validation,
            long skippedSteps,
            double seconds) {
        this.epoch = epoch;
        this.training = Collections.unmodifiableMap(training);
        this.validation = Collections.unmodifiableMap(validation);
        this.skippedSteps = skippedSteps;
        this.seconds = seconds;
    }

    /**
     * Reads every epoch of a run from its {@code epochs.csv} (all epochs, also those finished
     * before a resume).
     *
     * @param runDirectory the run directory
     * @return the epochs in order, empty if none finished
     * @throws IOException if the file cannot be read
     */
    public static List<EpochRecord> readAll(Path runDirectory) throws IOException {
        Path file = runDirectory.resolve("epochs.csv");
        if (!Files.exists(file)) {
            return List.of();
        }
        List<List<String>> rows = CsvLog.readAll(file);
        if (rows.isEmpty()) {
            return List.of();
        }
        List<String> header = rows.get(0);
        int columns = header.size();
        List<EpochRecord> out = new ArrayList<>();
        for (List<String> v : rows.subList(1, rows.size())) {
            if (v.size() != columns) {
                continue;
            }
            Map<String, Double> training = new LinkedHashMap<>();
            Map<String, Double> validation = new LinkedHashMap<>();
            for (int i = 2; i < columns - 2; i++) {
                String name = header.get(i);
                if (name.startsWith("train_")) {
                    training.put(name.substring(6), Double.parseDouble(v.get(i)));
                } else if (name.startsWith("validation_")) {
                    double value = Double.parseDouble(v.get(i));
                    if (!Double.isNaN(value)) {
                        validation.put(name.substring(11), value);
                    }
                }
            }
            out.add(
                    new EpochRecord(
                            Integer.parseInt(v.get(0)),
                            training,
                            validation,
                            Long.parseLong(v.get(columns - 2)),
                            Double.parseDouble(v.get(columns - 1))));
        }
        return out;
    }

    /** {@return the epoch, 0-based} */
    public int getEpoch() {
        return epoch;
    }

    /** {@return the training means: "loss", each component and each evaluator by name} */
    public Map<String, Double> getTraining() {
        return training;
    }

    /** {@return the validation means ("loss" and evaluators), empty without validation data} */
    public Map<String, Double> getValidation() {
        return validation;
    }

    /** {@return the number of steps of the run skipped so far} */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** {@return the training wall time of the epoch in seconds (summed over interrupted parts)} */
    public double getSeconds() {
        return seconds;
    }
}
