package io.github.moge.core.training.checkpoint;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The position of a run, as a checkpoint's {@code state.json} holds it: where the data stream stands,
 * where the schedules stand, the optimizer's update counts and the running sums of the current epoch.
 *
 * <p>Together with the parameters, the optimizer moments and the step's own state it is everything a
 * resumed run needs: randomness is a function of (seed, step) and the data order a function of (seed,
 * epoch), see {@code RunSeeds} in the data package.
 */
public final class TrainingState {

    /** The version of this layout; a checkpoint with another version is refused. */
    public static final int FORMAT_VERSION = 1;

    public static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    public int formatVersion = FORMAT_VERSION;
    public long seed;
    public long step;
    public int epoch;
    public int batchInEpoch;
    public int epochs;
    public int batchesPerEpoch;
    public boolean completed;
    public int optimizerSteps;
    public List<Integer> scheduleSteps = new ArrayList<>();
    public long skippedSteps;
    public float learningRate = Float.NaN;
    public float lastLoss = Float.NaN;
    public double epochSamples;
    public Map<String, Double> epochTotals = new LinkedHashMap<>();
    public double epochSeconds;
    public List<OptimizerEntry> optimizer = new ArrayList<>();
    public int stepStateArrays;

    public TrainingState() {}

    /** Returns the run seed. */
    public long getSeed() {
        return seed;
    }

    /** Returns the global step: the number of training batches consumed (the next batch's step). */
    public long getStep() {
        return step;
    }

    /** Returns the epoch (0-based) of the next batch. */
    public int getEpoch() {
        return epoch;
    }

    /** Returns the index within its epoch of the next batch. */
    public int getBatchInEpoch() {
        return batchInEpoch;
    }

    /** Returns the number of epochs of the run. */
    public int getEpochs() {
        return epochs;
    }

    /** Returns the number of batches per epoch. */
    public int getBatchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** Returns whether the run had finished all its epochs. */
    public boolean isCompleted() {
        return completed;
    }

    /** Returns the optimizer step count (the learning-rate schedule position). */
    public int getOptimizerSteps() {
        return optimizerSteps;
    }

    /** Returns the step of every {@code SigmaScheduleListener}, in listener order. */
    public List<Integer> getScheduleSteps() {
        return scheduleSteps;
    }

    /** Returns how many steps were skipped for a non-finite loss or gradient. */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** Returns the learning rate of the last update before the checkpoint. */
    public float getLearningRate() {
        return learningRate;
    }

    /** Returns the loss of the last step before the checkpoint. */
    public float getLastLoss() {
        return lastLoss;
    }

    public String toJson() {
        return GSON.toJson(this);
    }

    public static TrainingState fromJson(String json) {
        TrainingState state;
        try {
            state = GSON.fromJson(json, TrainingState.class);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("state.json is not valid JSON: " + e.getMessage(), e);
        }
        if (state == null) {
            throw new IllegalArgumentException("state.json is empty");
        }
        if (state.formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    "state.json has format version " + state.formatVersion + ", this build reads "
                            + FORMAT_VERSION);
        }
        return state;
    }

    /** The optimizer state of one parameter, by its name in the block tree. */
    public static final class OptimizerEntry {
        String parameter;
        int updateCount;
        int arrays;

        OptimizerEntry() {}

        OptimizerEntry(String parameter, int updateCount, int arrays) {
            this.parameter = parameter;
            this.updateCount = updateCount;
            this.arrays = arrays;
        }
    }
}
