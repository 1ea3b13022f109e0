package io.github.moge.core;

import ai.djl.training.tracker.Tracker;

/**
 * The pow schedule of the Gaussian width sigma: sigma_t = max - (max - min) * min(t / T, 1)^p.
 *
 * <p>t counts optimizer steps from 0 and T is the total number of steps of the run. p = 1 decays
 * linearly, p &lt; 1 fast then slowly, p &gt; 1 the reverse, and p = 0 gives min from the first
 * step (0^0 is taken as 1). The value never leaves [min, max].
 *
 * <p>The published settings are the constants {@link #VISION} (max 10, min 1.5, p 0.3: CIFAR-100,
 * Tiny-ImageNet and the invariance study), {@link #VISION_IMAGENET} (min 0.5), {@link #LM_PAPER}
 * (paper Table 10, the same numbers as {@link #VISION}) and {@link #LM_RELEASED} (the authors'
 * released LM scripts: min 1.0, p 0.2); {@code SigmaSchedule.VISION.over(totalSteps)} builds the
 * schedule of a run.
 */
public final class SigmaSchedule implements Tracker {

    /**
     * The vision runs on CIFAR-100 and Tiny-ImageNet (and the invariance study): 10 -&gt; 1.5, p
     * 0.3.
     */
    public static final Setting VISION = new Setting(10f, 1.5f, 0.3f);

    /** The vision runs on ImageNet: 10 -&gt; 0.5, p 0.3. */
    public static final Setting VISION_IMAGENET = new Setting(10f, 0.5f, 0.3f);

    /** The SMoGE language models as the paper states them (Table 10): 10 -&gt; 1.5, p 0.3. */
    public static final Setting LM_PAPER = new Setting(10f, 1.5f, 0.3f);

    /** The SMoGE language models of the authors' released training scripts: 10 -&gt; 1.0, p 0.2. */
    public static final Setting LM_RELEASED = new Setting(10f, 1.0f, 0.2f);

    private final float max;
    private final float min;
    private final float power;
    private final int totalSteps;

    private SigmaSchedule(Builder builder) {
        this.max = builder.max;
        this.min = builder.min;
        this.power = builder.power;
        this.totalSteps = builder.totalSteps;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public float getNewValue(int numUpdate) {
        if (numUpdate < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + numUpdate);
        }
        double progress = Math.min((double) numUpdate / totalSteps, 1.0);
        double decay = power == 0f ? 1.0 : Math.pow(progress, power);
        double sigma = max - (max - (double) min) * decay;
        return (float) Math.max(min, Math.min(max, sigma));
    }

    /** {@return sigma at step 0} */
    public float getMax() {
        return max;
    }

    /** {@return the floor sigma reaches at step T} */
    public float getMin() {
        return min;
    }

    /** {@return the exponent p} */
    public float getPower() {
        return power;
    }

    /** {@return T, the total number of optimizer steps} */
    public int getTotalSteps() {
        return totalSteps;
    }

    /** {@return max, min and p of this schedule} */
    public Setting getSetting() {
        return new Setting(max, min, power);
    }

    /**
     * The shape of a schedule without its length: sigma at step 0, the floor and the exponent p. A
     * run turns it into a schedule with {@link #over(int)} once it knows its number of optimizer
     * steps.
     *
     * @param max sigma at step 0, finite and &gt; 0
     * @param min the final sigma, finite, &gt; 0 and &lt;= max
     * @param power p, finite and &gt;= 0
     */
    public record Setting(float max, float min, float power) {

        /**
         * Checks the values as {@link Builder#build()} does.
         *
         * @param max sigma at step 0
         * @param min the final sigma
         * @param power p
         */
        public Setting {
            builder().setMax(max).setMin(min).setPower(power).setTotalSteps(1).build();
        }

        /**
         * Builds the schedule over a run.
         *
         * @param totalSteps T, the optimizer steps of the whole run, at least 1
         * @return the schedule
         */
        public SigmaSchedule over(int totalSteps) {
            return builder()
                    .setMax(max)
                    .setMin(min)
                    .setPower(power)
                    .setTotalSteps(totalSteps)
                    .build();
        }
    }

    /** Builds a {@link SigmaSchedule}. */
    public static final class Builder {

        private float max = Float.NaN;
        private float min = Float.NaN;
        private float power = Float.NaN;
        private int totalSteps = -1;

        Builder() {}

        /**
         * Sets sigma at step 0.
         *
         * @param max the starting sigma, finite and &gt; 0
         * @return this builder
         */
        public Builder setMax(float max) {
            requirePositive("max", max);
            this.max = max;
            return this;
        }

        /**
         * Sets the final sigma.
         *
         * @param min the final sigma, finite, &gt; 0 and &lt;= max
         * @return this builder
         */
        public Builder setMin(float min) {
            requirePositive("min", min);
            this.min = min;
            return this;
        }

        /**
         * Sets the exponent p of the decay.
         *
         * @param power p, finite and &gt;= 0
         * @return this builder
         */
        public Builder setPower(float power) {
            if (!(power >= 0) || Float.isInfinite(power)) {
                throw new IllegalArgumentException("power must be finite and >= 0, got " + power);
            }
            this.power = power;
            return this;
        }

        /**
         * Sets T, the number of optimizer steps over which sigma decays.
         *
         * @param totalSteps T, at least 1
         * @return this builder
         */
        public Builder setTotalSteps(int totalSteps) {
            if (totalSteps < 1) {
                throw new IllegalArgumentException("totalSteps must be >= 1, got " + totalSteps);
            }
            this.totalSteps = totalSteps;
            return this;
        }

        /**
         * Builds the schedule.
         *
         * @return the schedule
         * @throws IllegalArgumentException if a field is unset or min &gt; max
         */
        public SigmaSchedule build() {
            if (Float.isNaN(max) || Float.isNaN(min) || Float.isNaN(power) || totalSteps < 1) {
                throw new IllegalArgumentException(
                        "max, min, power and totalSteps must all be set before build()");
            }
            if (min > max) {
                throw new IllegalArgumentException(
                        "min must be <= max, got min " + min + " and max " + max);
            }
            return new SigmaSchedule(this);
        }

        private static void requirePositive(String field, float value) {
            if (!(value > 0) || Float.isInfinite(value)) {
                throw new IllegalArgumentException(field + " must be finite and > 0, got " + value);
            }
        }
    }
}
