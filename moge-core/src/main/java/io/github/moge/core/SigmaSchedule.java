package io.github.moge.core;

import ai.djl.training.tracker.Tracker;

/**
 * The pow schedule of the Gaussian width sigma: sigma_t = max - (max - min) * min(t / T, 1)^p.
 *
 * <p>t counts optimizer steps from 0 and T is the total number of steps of the run. p = 1 decays
 * linearly, p &lt; 1 fast then slowly, p &gt; 1 the reverse, and p = 0 gives min from the first step (0^0
 * is taken as 1). The value never leaves [min, max]. Published settings: max 10, min 1.5 (or 0.5 for
 * ImageNet), p 0.3.
 */
public final class SigmaSchedule implements Tracker {

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

    /** Returns sigma at step 0. */
    public float getMax() {
        return max;
    }

    /** Returns the floor sigma reaches at step T. */
    public float getMin() {
        return min;
    }

    /** Returns the exponent p. */
    public float getPower() {
        return power;
    }

    /** Returns T, the total number of optimizer steps. */
    public int getTotalSteps() {
        return totalSteps;
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
