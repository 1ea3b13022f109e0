package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The dense Transformer feed-forward d -&gt; h -&gt; d: {@code fc2(dropout(gelu(fc1(x))))}, on the
 * last axis of any input.
 *
 * <p>It computes exactly what one expert of {@link io.github.moge.core.experts.StackedExperts}
 * computes (GELU and dropout between the layers, nothing after the second), so a dense checkpoint
 * can be sparse upcycled into a MoE layer ({@link SparseUpcycling}). Children: {@link #FC1} (weight
 * [h, d], bias [h]) and {@link #FC2} (weight [d, h], bias [d]).
 */
public final class MlpBlock extends AbstractBlock {

    /** Child name of the first layer. */
    public static final String FC1 = "fc1";

    /** Child name of the second layer. */
    public static final String FC2 = "fc2";

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final float dropout;
    private final int width;
    private final Linear fc1;
    private final Linear fc2;

    /**
     * Creates the block.
     *
     * @param width d, the input and output width, at least 1
     * @param hiddenSize h, at least 1
     * @param dropout dropout after the activation, 0 &lt;= p &lt; 1
     */
    public MlpBlock(int width, int hiddenSize, float dropout) {
        super(VERSION);
        if (width < 1 || hiddenSize < 1) {
            throw new IllegalArgumentException(
                    "width and hiddenSize must be >= 1, got " + width + " and " + hiddenSize);
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        this.width = width;
        this.hiddenSize = hiddenSize;
        this.dropout = dropout;
        this.fc1 = addChildBlock(FC1, Linear.builder().setUnits(hiddenSize).build());
        this.fc2 = addChildBlock(FC2, Linear.builder().setUnits(width).build());
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        long d = inputShapes[0].get(inputShapes[0].dimension() - 1);
        if (width != d) {
            throw new IllegalArgumentException(
                    "MlpBlock was built for width " + width + ", got input " + inputShapes[0]);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape input = inputShapes[0];
        fc1.initialize(manager, dataType, input);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {input})[0]);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray hidden =
                Activation.gelu(
                        fc1.forward(parameterStore, new NDList(inputs.head()), training).head());
        if (dropout > 0f) {
            hidden = Dropout.dropout(hidden, dropout, training).singletonOrThrow();
        }
        return fc2.forward(parameterStore, new NDList(hidden), training);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return the width d} */
    public int getWidth() {
        return width;
    }

    /** {@return the hidden width h} */
    public int getHiddenSize() {
        return hiddenSize;
    }
}
