package io.github.moge.lm.model;

import io.github.moge.core.SigmaSchedule;
import java.util.Locale;

/**
 * The published sigma schedules of the SMoGE language models: {@link #PAPER} (Table 10 of the paper, 10
 * -&gt; 1.5 with p = 0.3, the default) and {@link #RELEASED} (the authors' released scripts, 10 -&gt; 1.0
 * with p = 0.2). T is the run's total optimizer steps in both.
 */
public enum LmSigmaSetting {
    /** Paper Table 10: sigma 10 -&gt; 1.5, p 0.3. */
    PAPER(10f, 1.5f, 0.3f),
    /** The released training scripts: sigma 10 -&gt; 1.0, p 0.2. */
    RELEASED(10f, 1.0f, 0.2f);

    private final float max;
    private final float min;
    private final float power;

    LmSigmaSetting(float max, float min, float power) {
        this.max = max;
        this.min = min;
        this.power = power;
    }

    /** Returns sigma at the first step. */
    public float getMax() {
        return max;
    }

    /** Returns sigma at the last step. */
    public float getMin() {
        return min;
    }

    /** Returns the power p of the decay. */
    public float getPower() {
        return power;
    }

    /** Returns the command-line name, {@code paper} or {@code released}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Builds the schedule over a run.
     *
     * @param totalSteps T, the optimizer steps of the whole run
     * @return the schedule
     */
    public SigmaSchedule schedule(int totalSteps) {
        return SigmaSchedule.builder().setMax(max).setMin(min).setPower(power).setTotalSteps(totalSteps).build();
    }
}
