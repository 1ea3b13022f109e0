package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.AuxiliaryTerms;

/**
 * One residual sub-layer of a Transformer block over tokens [B, T, D]: {@code x +
 * dropPath(body(norm(x)))} (pre-norm) or {@code x + dropPath(norm(body(x)))} (Swin V2 residual
 * post-norm).
 *
 * <p>The body may be any block whose output head has the input's shape, in particular a {@link
 * io.github.moge.core.MoeBlock}: the branch passes the body's {@link AuxiliaryTerms} on after its
 * own head, so the output is {@code (y, terms of the body...)}. This is the one place where ViT and
 * Swin blocks add a (possibly MoE) feed-forward or attention to the residual stream. Children:
 * {@code norm} (LayerNorm over the last axis) and {@code body}.
 */
public final class ResidualBranch extends AbstractBlock {

    /** Child name of the body. */
    public static final String BODY = "body";

    private static final byte VERSION = 1;

    private final NormPlacement placement;
    private final float dropPath;
    private final LayerNorm norm;
    private final Block body;

    /**
     * Creates the branch.
     *
     * @param body the sub-layer (attention, dense feed-forward or MoE layer)
     * @param placement where the LayerNorm sits
     * @param dropPath the stochastic depth rate of this branch, 0 &lt;= p &lt; 1
     */
    public ResidualBranch(Block body, NormPlacement placement, float dropPath) {
        super(VERSION);
        if (body == null || placement == null) {
            throw new IllegalArgumentException("body and placement must not be null");
        }
        if (!(dropPath >= 0f && dropPath < 1f)) {
            throw new IllegalArgumentException("drop path rate must be in [0, 1), got " + dropPath);
        }
        this.placement = placement;
        this.dropPath = dropPath;
        this.norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        this.body = addChildBlock(BODY, body);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList bodyOutput;
        NDArray branch;
        if (placement == NormPlacement.PRE) {
            NDArray normed = norm.forward(parameterStore, new NDList(x), training).head();
            bodyOutput = body.forward(parameterStore, new NDList(normed), training, params);
            branch = bodyOutput.head();
        } else {
            bodyOutput = body.forward(parameterStore, new NDList(x), training, params);
            branch = norm.forward(parameterStore, new NDList(bodyOutput.head()), training).head();
        }
        NDArray y = x.add(DropPath.apply(branch, dropPath, training));
        return new NDList(y).addAll(AuxiliaryTerms.of(bodyOutput));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape input = inputShapes[0];
        if (input.dimension() != 3) {
            throw new IllegalArgumentException(
                    "ResidualBranch expects tokens [B, T, D], got " + input);
        }
        norm.initialize(manager, dataType, input);
        body.initialize(manager, dataType, input);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return the body} */
    public Block getBody() {
        return body;
    }

    /** {@return where the norm sits} */
    public NormPlacement getPlacement() {
        return placement;
    }

    /** {@return the branch's LayerNorm} */
    public LayerNorm getNorm() {
        return norm;
    }

    /** {@return the stochastic depth rate} */
    public float getDropPath() {
        return dropPath;
    }
}
