package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Stochastic depth: in training, zeroes a residual branch for a whole sample with probability p and
 * scales the kept samples by 1 / (1 - p), so the expectation equals the input; the identity in
 * evaluation.
 *
 * <p>The mask has one Bernoulli draw per sample (first axis) and broadcasts over every other axis.
 */
public final class DropPath extends AbstractBlock {

    private static final byte VERSION = 1;

    private final float rate;

    /**
     * Creates the block.
     *
     * @param rate the drop probability p, 0 &lt;= p &lt; 1
     */
    public DropPath(float rate) {
        super(VERSION);
        this.rate = checkRate(rate);
    }

    private static float checkRate(float rate) {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("drop path rate must be in [0, 1), got " + rate);
        }
        return rate;
    }

    /**
     * Applies stochastic depth to one branch.
     *
     * @param x the branch output, first axis the batch
     * @param rate the drop probability p, 0 &lt;= p &lt; 1
     * @param training whether this is a training pass (otherwise x is returned unchanged)
     * @return x with whole samples zeroed with probability p and the rest scaled by 1 / (1 - p)
     */
    public static NDArray apply(NDArray x, float rate, boolean training) {
        checkRate(rate);
        if (!training || rate == 0f) {
            return x;
        }
        long[] maskShape = new long[x.getShape().dimension()];
        java.util.Arrays.fill(maskShape, 1L);
        maskShape[0] = x.getShape().get(0);
        float keep = 1f - rate;
        NDArray uniform =
                x.getManager()
                        .randomUniform(
                                0f, 1f, new Shape(maskShape), x.getDataType(), x.getDevice());
        NDArray mask = uniform.add(keep).floor().div(keep);
        return x.mul(mask);
    }

    /** {@return the drop probability} */
    public float getRate() {
        return rate;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(inputs.singletonOrThrow(), rate, training));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
