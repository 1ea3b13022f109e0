package io.github.moge.core.compare;

/**
 * A confidence interval around an estimate.
 *
 * @param estimate the point estimate
 * @param lower the lower end
 * @param upper the upper end
 * @param confidence the coverage, e.g. 0.95
 */
public record Interval(double estimate, double lower, double upper, double confidence) {

    /** {@return whether 0 lies outside the interval (a resolved difference)} */
    public boolean excludesZero() {
        return lower > 0 || upper < 0;
    }
}
