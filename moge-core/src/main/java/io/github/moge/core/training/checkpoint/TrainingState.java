package io.github.moge.core.training.checkpoint;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The position of a run, as a checkpoint's {@code state.json} holds it: where the data stream
 * stands, where the schedules stand, the optimizer's update counts and the running sums of the
 * current epoch.
 *
 * <p>Together with the parameters, the optimizer moments and the step's own state it is everything
 * a resumed run needs: randomness is a function of (seed, step) and the data order a function of
 * (seed, epoch), see {@code RunSeeds} in the data package.
 *
 * <p>The loop changes a state through the {@code record...} methods as the run advances; a
 * checkpoint holds its own {@link #copy()}.
 */
public final class TrainingState {

    /** The version of this layout; a checkpoint with another version is refused. */
    public static final int FORMAT_VERSION = 2;

    /**
     * Version 1 had the steps of the sigma schedule listeners (the only stateful listeners then) as
     * {@code scheduleSteps}, which read as their states (the step in decimal).
     */
    private static final int LEGACY_FORMAT_VERSION = 1;

    /** The JSON settings of {@code state.json} (pretty-printed, NaN and infinities allowed). */
    public static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    // Field names and order are the state.json layout.
    private int formatVersion = FORMAT_VERSION;
    private long seed;
    private long step;
    private int epoch;
    private int batchInEpoch;
    private int epochs;
    private int batchesPerEpoch;
    private boolean completed;
    private int optimizerSteps;
    private List<String> listenerStates = new ArrayList<>();
    private List<Integer> scheduleSteps; // version 1 only, see LEGACY_FORMAT_VERSION
    private long skippedSteps;
    private float learningRate = Float.NaN;
    private float lastLoss = Float.NaN;
    private double epochSamples;
    private Map<String, Double> epochTotals = new LinkedHashMap<>();
    private double epochSeconds;
    private List<OptimizerEntry> optimizer = new ArrayList<>();
    private int stepStateArrays;
    // Absent (null) in checkpoints written before the cadence was recorded.
    private Integer checkpointEvery;

    private TrainingState() {}

    /**
     * Returns the state of a run that has not taken a step yet.
     *
     * @param seed the run seed
     * @param epochs the number of epochs
     * @param batchesPerEpoch the number of batches per epoch
     * @return the state at step 0
     */
    public static TrainingState start(long seed, int epochs, int batchesPerEpoch) {
        TrainingState state = new TrainingState();
        state.seed = seed;
        state.epochs = epochs;
        state.batchesPerEpoch = batchesPerEpoch;
        return state;
    }

    /**
     * {@return an independent copy (the loop advances its own, a checkpoint keeps the one it
     * wrote)}
     */
    public TrainingState copy() {
        return fromJson(toJson());
    }

    /**
     * {@return the step cadence of checkpoints of the invocation that wrote this state (0: epoch
     * ends only), or -1 if the checkpoint does not record it}
     */
    public int getCheckpointEvery() {
        return checkpointEvery == null ? -1 : checkpointEvery;
    }

    /**
     * Records the step cadence of checkpoints, so that a resume keeps it.
     *
     * @param steps the cadence, 0 for epoch ends only
     */
    public void setCheckpointEvery(int steps) {
        checkpointEvery = steps;
    }

    /** {@return the run seed} */
    public long getSeed() {
        return seed;
    }

    /**
     * {@return the global step: the number of training batches consumed (the next batch's step)}
     */
    public long getStep() {
        return step;
    }

    /** {@return the epoch (0-based) of the next batch} */
    public int getEpoch() {
        return epoch;
    }

    /** {@return the index within its epoch of the next batch} */
    public int getBatchInEpoch() {
        return batchInEpoch;
    }

    /** {@return the number of epochs of the run} */
    public int getEpochs() {
        return epochs;
    }

    /** {@return the number of batches per epoch} */
    public int getBatchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** {@return whether the run had finished all its epochs} */
    public boolean isCompleted() {
        return completed;
    }

    /** {@return the optimizer step count (the learning-rate schedule position)} */
    public int getOptimizerSteps() {
        return optimizerSteps;
    }

    /**
     * {@return the saved state of every stateful listener of the run, in the order they were added}
     */
    public List<String> getListenerStates() {
        return List.copyOf(listenerStates);
    }

    /** {@return how many steps were skipped for a non-finite loss or gradient} */
    public long getSkippedSteps() {
        return skippedSteps;
    }

    /** {@return the learning rate of the last update before the checkpoint} */
    public float getLearningRate() {
        return learningRate;
    }

    /** {@return the loss of the last step before the checkpoint} */
    public float getLastLoss() {
        return lastLoss;
    }

    /** {@return the training wall time of the current epoch so far, in seconds} */
    public double getEpochSeconds() {
        return epochSeconds;
    }

    /**
     * {@return the sample-weighted means of the current epoch's metrics so far, by name (NaN when
     * no sample counted yet)}
     */
    public Map<String, Double> getEpochMeans() {
        Map<String, Double> means = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : epochTotals.entrySet()) {
            means.put(e.getKey(), epochSamples > 0 ? e.getValue() / epochSamples : Double.NaN);
        }
        return means;
    }

    /** {@return the number of arrays of the training step's own state in the checkpoint} */
    public int getStepStateArrays() {
        return stepStateArrays;
    }

    /**
     * Records an applied update.
     *
     * @param loss the step's loss
     * @param rate the learning rate of the update
     */
    public void recordUpdate(float loss, float rate) {
        lastLoss = loss;
        learningRate = rate;
    }

    /** Records a step whose update was skipped. */
    public void recordSkip() {
        skippedSteps++;
    }

    /**
     * Adds a step's metrics, weighted by its samples, to the current epoch's sums.
     *
     * @param samples the step's samples
     * @param loss the step's loss, summed as "loss"
     * @param components the loss components by name
     * @param evaluations the evaluators' values by name
     */
    public void recordMetrics(
            double samples,
            float loss,
            Map<String, Float> components,
            Map<String, Float> evaluations) {
        epochSamples += samples;
        addToEpoch("loss", loss * samples);
        components.forEach((k, v) -> addToEpoch(k, v * samples));
        evaluations.forEach((k, v) -> addToEpoch(k, v * samples));
    }

    private void addToEpoch(String key, double value) {
        epochTotals.merge(key, value, Double::sum);
    }

    /**
     * Moves past a finished step.
     *
     * @param seconds its wall time, added to the epoch's
     */
    public void recordStep(double seconds) {
        epochSeconds += seconds;
        step++;
        batchInEpoch++;
    }

    /**
     * Moves to the next epoch: clears the epoch's sums and marks the run complete after the last.
     */
    public void recordEpoch() {
        epoch++;
        batchInEpoch = 0;
        epochTotals = new LinkedHashMap<>();
        epochSamples = 0;
        epochSeconds = 0;
        completed = epoch == epochs;
    }

    /**
     * Sets the stateful listeners' states to save with the next checkpoint.
     *
     * @param states one per listener, in the order they were added
     */
    public void setListenerStates(List<String> states) {
        listenerStates = new ArrayList<>(states);
    }

    List<OptimizerEntry> getOptimizerEntries() {
        return optimizer;
    }

    void setOptimizerState(List<OptimizerEntry> entries, int steps) {
        optimizer = new ArrayList<>(entries);
        optimizerSteps = steps;
    }

    void setStepStateArrays(int arrays) {
        stepStateArrays = arrays;
    }

    /**
     * Returns the state as {@code state.json} holds it.
     *
     * @return the JSON text
     */
    public String toJson() {
        return GSON.toJson(this);
    }

    /**
     * Reads a state from {@code state.json} (this format or version 1).
     *
     * @param json the JSON text
     * @return the state
     * @throws IllegalArgumentException if it is not a state of a known version
     */
    public static TrainingState fromJson(String json) {
        TrainingState state;
        try {
            state = GSON.fromJson(json, TrainingState.class);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(
                    "state.json is not valid JSON: " + e.getMessage(), e);
        }
        if (state == null) {
            throw new IllegalArgumentException("state.json is empty");
        }
        if (state.formatVersion == LEGACY_FORMAT_VERSION) {
            state.listenerStates = new ArrayList<>();
            if (state.scheduleSteps != null) {
                state.scheduleSteps.forEach(s -> state.listenerStates.add(Integer.toString(s)));
            }
            state.scheduleSteps = null;
            state.formatVersion = FORMAT_VERSION;
        }
        if (state.formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    "state.json has format version "
                            + state.formatVersion
                            + ", this build reads "
                            + LEGACY_FORMAT_VERSION
                            + " and "
                            + FORMAT_VERSION);
        }
        if (state.listenerStates == null) {
            state.listenerStates = new ArrayList<>();
        }
        return state;
    }

    /** The optimizer state of one parameter, by its name in the block tree. */
    static final class OptimizerEntry {
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
