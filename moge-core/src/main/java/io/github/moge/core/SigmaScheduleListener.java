package io.github.moge.core;

import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.github.moge.core.training.StatefulListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advances the sigma schedule of every {@link MoeBlock} in the trained model by one step per
 * training batch, so that sigma_t follows the optimizer step count t.
 *
 * <p>Add it to the training configuration ({@code config.addTrainingListeners(new
 * SigmaScheduleListener())}), or to a {@code TrainingRun} with {@code addListener} wherever the
 * model has MoE blocks. Its step count is the schedule position to save in a checkpoint; {@link
 * #setStep(int)} restores it. As a {@link StatefulListener} its state is that step in decimal,
 * which {@code TrainingRun} checkpoints and restores.
 *
 * <p>Unless {@link #setStep(int)} or {@link #loadState(String)} gave it a position, the listener
 * takes the one its model's blocks carry when training begins: a model saved with {@code
 * Model.save} and loaded with {@code Model.load} keeps its blocks' schedule position (block
 * metadata), so a new trainer with a new listener continues with the sigma it stopped at.
 */
public final class SigmaScheduleListener extends TrainingListenerAdapter
        implements StatefulListener {

    private static final Logger LOG = LoggerFactory.getLogger(SigmaScheduleListener.class);

    private final List<MoeBlock> blocks = new ArrayList<>();
    private final Consumer<String> warnings;
    private int step;
    private boolean positioned;
    private boolean warnedPastEnd;

    /**
     * Creates the listener; a schedule that ends before training does is logged (SLF4J warning).
     */
    public SigmaScheduleListener() {
        this(LOG::warn);
    }

    /**
     * Creates the listener with its own destination for the one-line warning that a {@link
     * SigmaSchedule} ended before training did.
     *
     * @param warnings receives the warning (once per listener)
     */
    public SigmaScheduleListener(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        blocks.clear();
        blocks.addAll(findMoeBlocks(trainer.getModel().getBlock()));
        if (!positioned && !blocks.isEmpty()) {
            int carried = blocks.get(0).getScheduleStep();
            for (MoeBlock block : blocks) {
                if (block.getScheduleStep() != carried) {
                    throw new IllegalStateException(
                            "the model's MoE blocks carry different schedule steps ("
                                    + carried
                                    + " and "
                                    + block.getScheduleStep()
                                    + "); call setStep(int) with the steps already taken");
                }
            }
            step = carried;
            positioned = true;
        }
        publish();
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        step++;
        positioned = true;
        publish();
        warnIfPastEnd();
    }

    /**
     * Says once, in one line, that a schedule's T is shorter than the training: sigma then stays at
     * its minimum for the rest of the run, which is rarely meant (the schedule is built over the
     * run's total steps).
     */
    private void warnIfPastEnd() {
        if (warnedPastEnd) {
            return;
        }
        for (MoeBlock block : blocks) {
            if (block.getSigmaSchedule() instanceof SigmaSchedule schedule
                    && step > schedule.getTotalSteps()) {
                warnedPastEnd = true;
                warnings.accept(
                        String.format(
                                Locale.ROOT,
                                "the sigma schedule over T = %d steps ended at step %d and training"
                                        + " goes on: sigma stays at %s; build it over the run's"
                                        + " total steps (SigmaSchedule.Setting.over(totalSteps))",
                                schedule.getTotalSteps(),
                                step,
                                schedule.getMin()));
                return;
            }
        }
    }

    /** {@return the number of training steps seen, the schedule position} */
    public int getStep() {
        return step;
    }

    /**
     * Restores the schedule position, e.g. when resuming from a checkpoint.
     *
     * @param step optimizer steps already taken, &gt;= 0
     */
    public void setStep(int step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        this.step = step;
        positioned = true;
        publish();
    }

    /** {@inheritDoc} */
    @Override
    public String saveState() {
        return Integer.toString(step);
    }

    /** {@inheritDoc} */
    @Override
    public void loadState(String state) {
        int saved;
        try {
            saved = Integer.parseInt(state);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a sigma schedule step: '" + state + "'", e);
        }
        setStep(saved);
    }

    /**
     * Returns every {@link MoeBlock} in a block tree, depth first.
     *
     * @param root the root block
     * @return the MoE layers in model order
     */
    public static List<MoeBlock> findMoeBlocks(Block root) {
        List<MoeBlock> found = new ArrayList<>();
        collect(root, found);
        return found;
    }

    private static void collect(Block block, List<MoeBlock> found) {
        if (block instanceof MoeBlock) {
            found.add((MoeBlock) block);
            return;
        }
        for (Block child : block.getChildren().values()) {
            collect(child, found);
        }
    }

    private void publish() {
        for (MoeBlock block : blocks) {
            block.setScheduleStep(step);
        }
    }
}
