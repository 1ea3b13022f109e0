package io.github.moge.lm.model;

import io.github.moge.core.SigmaSchedule;
import java.util.Locale;

/**
 * The published sigma schedules of the SMoGE language models, by their command-line names: {@link
 * #PAPER} ({@link SigmaSchedule#LM_PAPER}, Table 10 of the paper, 10 -&gt; 1.5 with p = 0.3, the
 * default) and {@link #RELEASED} ({@link SigmaSchedule#LM_RELEASED}, the authors' released scripts,
 * 10 -&gt; 1.0 with p = 0.2). T is the run's total optimizer steps in both.
 */
public enum LmSigmaSetting {
    /** Paper Table 10: sigma 10 -&gt; 1.5, p 0.3. */
    PAPER(SigmaSchedule.LM_PAPER),
    /** The released training scripts: sigma 10 -&gt; 1.0, p 0.2. */
    RELEASED(SigmaSchedule.LM_RELEASED);

    private final SigmaSchedule.Setting setting;

    LmSigmaSetting(SigmaSchedule.Setting setting) {
        this.setting = setting;
    }

    /** {@return max, min and p as one value} */
    public SigmaSchedule.Setting getSetting() {
        return setting;
    }

    /** {@return sigma at the first step} */
    public float getMax() {
        return setting.max();
    }

    /** {@return sigma at the last step} */
    public float getMin() {
        return setting.min();
    }

    /** {@return the power p of the decay} */
    public float getPower() {
        return setting.power();
    }

    /** {@return the command-line name, {@code paper} or {@code released}} */
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
        return setting.over(totalSteps);
    }
}
