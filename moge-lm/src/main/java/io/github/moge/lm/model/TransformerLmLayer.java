package io.github.moge.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.AuxiliaryTerms;

/**
 * One post-norm layer of the language model: relative-position attention with memory, then a
 * feed-forward sub-layer (an MoE/MoGE {@code MoeBlock} or a {@link DenseFeedForward}) whose output
 * enters the residual stream through a {@link MomentumRule}:
 *
 * <pre>
 *   a = LN1(x + Attn(x, memory, keyPe))
 *   u = Dropout(FFN(a))
 *   (s, m) = rule(u, m_prev, layerIndex)
 *   x' = LN2(a + s)
 * </pre>
 *
 * <p>Inputs: {@code (x [B, M, D], memory [B, L, D], keyPe [D/H, L])}, followed by the momentum
 * buffer when the rule carries one and this is not the first layer. Output: {@code (x', [m],
 * auxiliary terms...)}: the buffer is present exactly when the rule carries one.
 */
public final class TransformerLmLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int index;
    private final float dropout;
    private final MomentumRule rule;
    private final RelativeMemoryAttention attention;
    private final LayerNorm norm1;
    private final Block feedForward;
    private final LayerNorm norm2;

    /**
     * Creates a layer.
     *
     * @param index the layer index from 0 (the ADAM rule treats layer 0 specially)
     * @param attention the attention sub-layer
     * @param feedForward the feed-forward sub-layer ([..., D] -&gt; [..., D], may emit auxiliary
     *     terms)
     * @param rule how the feed-forward output enters the residual stream
     * @param dropout the dropout on the feed-forward output, 0 &lt;= p &lt; 1
     */
    public TransformerLmLayer(
            int index,
            RelativeMemoryAttention attention,
            Block feedForward,
            MomentumRule rule,
            float dropout) {
        super(VERSION);
        if (index < 0) {
            throw new IllegalArgumentException("layer index must be >= 0, got " + index);
        }
        this.index = index;
        this.rule = rule;
        this.dropout = dropout;
        this.attention = addChildBlock("attention", attention);
        this.norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
        this.feedForward = addChildBlock("feedForward", feedForward);
        this.norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray attended =
                attention
                        .forward(
                                parameterStore,
                                new NDList(x, inputs.get(1), inputs.get(2)),
                                training)
                        .singletonOrThrow();
        NDArray a = norm1.forward(parameterStore, new NDList(x.add(attended)), training).head();
        NDList ffn = feedForward.forward(parameterStore, new NDList(a), training);
        NDArray u = ffn.head();
        if (dropout > 0f) {
            u = Dropout.dropout(u, dropout, training).singletonOrThrow();
        }
        NDArray previous = inputs.size() > 3 ? inputs.get(3) : null;
        MomentumRule.Step step = rule.apply(u, previous, index);
        NDArray next =
                norm2.forward(parameterStore, new NDList(a.add(step.getIncrement())), training)
                        .head();
        NDList result = new NDList(next);
        if (step.getMomentum() != null) {
            result.add(step.getMomentum());
        }
        return result.addAll(AuxiliaryTerms.of(ffn));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        attention.initialize(manager, dataType, x, inputShapes[1], inputShapes[2]);
        norm1.initialize(manager, dataType, x);
        feedForward.initialize(manager, dataType, x);
        norm2.initialize(manager, dataType, x);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return the layer index} */
    public int getIndex() {
        return index;
    }

    /** {@return the feed-forward sub-layer} */
    public Block getFeedForward() {
        return feedForward;
    }

    /** {@return the attention sub-layer} */
    public RelativeMemoryAttention getAttention() {
        return attention;
    }
}
