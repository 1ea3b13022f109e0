package io.github.moge.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.experts.StackedExperts;

/**
 * A dense feed-forward sub-layer d -&gt; h -&gt; d that computes exactly what one MoE expert
 * computes (the activation, GELU by default, then dropout between the two linear maps), applied to
 * every token. With h = k times the expert width it is the dense baseline with the same active
 * parameters per token as a top-k MoE layer.
 */
public final class DenseFeedForward extends AbstractBlock {

    private static final byte VERSION = 1;

    private final StackedExperts expert;

    /**
     * Creates the block with GELU.
     *
     * @param hiddenSize h, the hidden width
     * @param dropout the dropout after the activation, 0 &lt;= p &lt; 1
     */
    public DenseFeedForward(int hiddenSize, float dropout) {
        this(hiddenSize, dropout, ExpertActivation.GELU);
    }

    /**
     * Creates the block.
     *
     * @param hiddenSize h, the hidden width
     * @param dropout the dropout after the activation, 0 &lt;= p &lt; 1
     * @param activation the activation between the two linear maps
     */
    public DenseFeedForward(int hiddenSize, float dropout, ExpertActivation activation) {
        super(VERSION);
        if (hiddenSize < 1) {
            throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        this.expert =
                addChildBlock(
                        "expert",
                        StackedExperts.builder()
                                .setExperts(1)
                                .setHiddenSize(hiddenSize)
                                .optDropout(dropout)
                                .optActivation(activation)
                                .build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray input = inputs.head();
        Shape shape = input.getShape();
        NDArray tokens = input.reshape(1, -1, shape.get(shape.dimension() - 1));
        return new NDList(expert.apply(parameterStore, tokens, training).reshape(shape));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long width = inputShapes[0].get(inputShapes[0].dimension() - 1);
        expert.initialize(manager, dataType, new Shape(1, 1, width));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
