package io.github.moge.vision.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.MoeBlock;

/**
 * A Transformer block over tokens [B, T, D]: an attention {@link ResidualBranch} followed by a
 * feed-forward {@link ResidualBranch}, the feed-forward being a dense {@link MlpBlock} or a {@link
 * MoeBlock}. Output {@code (y, terms...)}: the auxiliary terms of both branches (in practice those
 * of a MoE feed-forward). Children: {@link #ATTENTION} and {@link #FEED_FORWARD}.
 */
public final class TransformerLayer extends AbstractBlock {

    /** Child name of the attention branch. */
    public static final String ATTENTION = "attention";

    /** Child name of the feed-forward branch. */
    public static final String FEED_FORWARD = "feedforward";

    private static final byte VERSION = 1;

    private final ResidualBranch attention;
    private final ResidualBranch feedForward;

    /**
     * Creates the block.
     *
     * @param attention the attention sub-layer
     * @param feedForward the feed-forward sub-layer ({@link MlpBlock} or {@link MoeBlock})
     * @param placement pre-norm or residual post-norm, for both branches
     * @param dropPath the stochastic depth rate of both branches
     */
    public TransformerLayer(
            Block attention, Block feedForward, NormPlacement placement, float dropPath) {
        super(VERSION);
        this.attention =
                addChildBlock(ATTENTION, new ResidualBranch(attention, placement, dropPath));
        this.feedForward =
                addChildBlock(FEED_FORWARD, new ResidualBranch(feedForward, placement, dropPath));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList first =
                attention.forward(parameterStore, new NDList(inputs.head()), training, params);
        NDList second =
                feedForward.forward(parameterStore, new NDList(first.head()), training, params);
        return new NDList(second.head())
                .addAll(AuxiliaryTerms.of(first))
                .addAll(AuxiliaryTerms.of(second));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        attention.initialize(manager, dataType, inputShapes[0]);
        feedForward.initialize(manager, dataType, inputShapes[0]);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return whether the feed-forward is a MoE layer} */
    public boolean isMoe() {
        return feedForward.getBody() instanceof MoeBlock;
    }

    /** {@return the feed-forward sub-layer ({@link MlpBlock} or {@link MoeBlock})} */
    public Block getFeedForward() {
        return feedForward.getBody();
    }

    /** {@return the attention sub-layer} */
    public Block getAttention() {
        return attention.getBody();
    }
}
