package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.ops.ScalarOps;

/**
 * Global multi-head self-attention over tokens [B, T, D] (the ViT attention): a fused projection to
 * queries, keys and values, {@code softmax(q k^T / sqrt(Dh)) v} per head, and an output projection.
 *
 * <p>Written with {@code matMul} and {@code softmax} because DJL 0.25's Transformer blocks are
 * BERT-style (post-norm with BatchNorm). Children: {@code qkv} (Linear D -&gt; 3D, with bias) and
 * {@code proj} (Linear D -&gt; D).
 */
public final class MultiHeadSelfAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int width;
    private final int heads;
    private final float attentionDropout;
    private final float projectionDropout;
    private final Linear qkv;
    private final Linear proj;

    /**
     * Creates the block.
     *
     * @param width the model width D
     * @param heads the number of heads; must divide D
     * @param attentionDropout dropout on the attention weights
     * @param projectionDropout dropout after the output projection
     */
    public MultiHeadSelfAttention(
            int width, int heads, float attentionDropout, float projectionDropout) {
        super(VERSION);
        AttentionHeads.headWidth(width, heads);
        this.width = width;
        this.heads = heads;
        this.attentionDropout = attentionDropout;
        this.projectionDropout = projectionDropout;
        this.qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
        this.proj = addChildBlock("proj", Linear.builder().setUnits(width).build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList qkvHeads =
                AttentionHeads.splitQkv(
                        qkv.forward(parameterStore, new NDList(x), training).head(), heads);
        double scale = 1.0 / Math.sqrt((double) width / heads);
        NDArray scores =
                ScalarOps.mul(qkvHeads.get(0), scale).matMul(qkvHeads.get(1).transpose(0, 1, 3, 2));
        NDArray weights = scores.softmax(-1);
        if (attentionDropout > 0f) {
            weights = Dropout.dropout(weights, attentionDropout, training).singletonOrThrow();
        }
        NDArray out = AttentionHeads.merge(weights.matMul(qkvHeads.get(2)));
        out = proj.forward(parameterStore, new NDList(out), training).head();
        if (projectionDropout > 0f) {
            out = Dropout.dropout(out, projectionDropout, training).singletonOrThrow();
        }
        return new NDList(out);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        qkv.initialize(manager, dataType, inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
    }

    private void checkInput(Shape input) {
        if (input.dimension() != 3 || input.get(2) != width) {
            throw new IllegalArgumentException(
                    "MultiHeadSelfAttention expects [B, T, " + width + "], got " + input);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return the number of heads} */
    public int getHeads() {
        return heads;
    }
}
