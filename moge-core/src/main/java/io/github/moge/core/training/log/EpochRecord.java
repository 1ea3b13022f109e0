package io.github.moge.core.training.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The summary of one epoch: sample-weighted means of the training metrics over its batches (including
 * batches run before a resume), validation metrics if a validation set is configured, and wall time.
 */
public final class EpochRecord {

    private final int epoch;
    private final Map<String, Double> training;
    private final Map<String, Double> validation;
    private final long skippedSteps;
    private final double seconds;

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
     * Reads every epoch of a run from its {@code epochs.csv} (all epochs, also those finished before a
     * resume).
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
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return List.of();
        }
        String[] header = lines.get(0).split(",");
        List<EpochRecord> out = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] v = line.split(",");
            if (v.length != header.length) {
                continue;
            }
            Map<String, Double> training = new LinkedHashMap<>();
            Map<String, Double> validation = new LinkedHashMap<>();
            for (int i = 2; i < header.length - 2; i++) {
                if (header[i].startsWith("train_")) {
                    training.put(header[i].substring(6), Double.parseDouble(v[i]));
                } else if (header[i].startsWith("validation_")) {
                    double value = Double.parseDouble(v[i]);
                    if (!Double.isNaN(value)) {
                        validation.put(header[i].substring(11), value);
                    }
                }
            }
            out.add(new EpochRecord(Integer.parseInt(v[0]), training, validation,
                    Long.parseLong(v[header.length - 2]), Double.parseDouble(v[header.length - 1])));
        }
        return out;
    }

    /** Returns the epoch, 0-based. */
    public int getEpoch() {
        return epoch;
    }

    /** Returns the training means: "loss", each component and each evaluator by name. */
    public Map<String, Double> getTraining() {
        return training;
    }

    /** Returns the validation means ("loss" and evaluators), empty without validation data. */
    public Map<String, Double> getValidation() {
        return validation;
    }

    /** Returns the number of steps of the run skipped so far. */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** Returns the training wall time of the epoch in seconds (summed over interrupted parts). */
    public double getSeconds() {
        return seconds;
    }
}
