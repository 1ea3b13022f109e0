package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/**
 * Draws from a normal distribution N(0, std^2) truncated to absolute bounds [low, high]: values
 * outside are drawn again until every value lies inside, which gives exactly the truncated
 * distribution.
 *
 * <p>The vision reference initialises its weights with std 0.02 within [-2, 2]: those bounds are
 * absolute values, 100 standard deviations away, so in practice no value is ever redrawn and the
 * result is the plain normal. (DJL's own {@code TruncatedNormalInitializer} cuts at 2 standard
 * deviations instead.)
 */
public final class TruncatedNormalInitializer implements Initializer {

    /** Redraw rounds before giving up; each keeps only the values still outside the bounds. */
    private static final int MAX_ROUNDS = 100;

    private final float std;
    private final float low;
    private final float high;

    /**
     * Creates the initializer.
     *
     * @param std the standard deviation before truncation, finite and &gt; 0
     * @param low the lower bound, an absolute value below 0
     * @param high the upper bound, an absolute value above 0
     */
    public TruncatedNormalInitializer(float std, float low, float high) {
        if (!(std > 0) || Float.isInfinite(std) || !(low < 0) || !(high > 0)) {
            throw new IllegalArgumentException(
                    "need std > 0 (finite) and bounds low < 0 < high around the mean 0, got std "
                            + std
                            + ", bounds ["
                            + low
                            + ", "
                            + high
                            + "]");
        }
        this.std = std;
        this.low = low;
        this.high = high;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        // The masks and discarded draws live in a scope of their own, so only the result stays on
        // manager.
        try (NDManager scope = manager.newSubManager()) {
            NDArray values = scope.randomNormal(0f, std, shape, dataType);
            for (int round = 0; round < MAX_ROUNDS; round++) {
                NDArray outside = values.lt(low).logicalOr(values.gt(high));
                if (!outside.any().getBoolean()) {
                    values.attach(manager);
                    return values;
                }
                values =
                        NDArrays.where(
                                outside, scope.randomNormal(0f, std, shape, dataType), values);
            }
        }
        throw new IllegalStateException(
                "values outside ["
                        + low
                        + ", "
                        + high
                        + "] after "
                        + MAX_ROUNDS
                        + " redraws at std "
                        + std
                        + ": the bounds hold almost none of the distribution");
    }

    /** {@return the standard deviation before truncation} */
    public float getStd() {
        return std;
    }
}
