package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Swin's downsampling between stages: tokens [B, H * W, C] of an H x W map become [B, (H/2)(W/2),
 * 2C] by concatenating each 2 x 2 neighbourhood (order (0,0), (1,0), (0,1), (1,1) as (row, column))
 * into 4C channels and reducing them linearly to 2C, with a LayerNorm before the reduction (V1) or
 * after it (V2). Children {@code reduction} (no bias) and {@code norm}.
 */
public final class PatchMerging extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int height;
    private final int width;
    private final int channels;
    private final SwinVersion version;
    private final Linear reduction;
    private final LayerNorm norm;

    /**
     * Creates the block.
     *
     * @param height H, even
     * @param width W, even
     * @param channels C
     * @param version V1 (norm then reduction) or V2 (reduction then norm)
     */
    public PatchMerging(int height, int width, int channels, SwinVersion version) {
        super(VERSION);
        if (height % 2 != 0 || width % 2 != 0) {
            throw new IllegalArgumentException(
                    "patch merging needs an even feature map, got " + height + "x" + width);
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.version = version;
        this.reduction =
                addChildBlock(
                        "reduction",
                        Linear.builder().setUnits(2L * channels).optBias(false).build());
        this.norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        long batch = x.getShape().get(0);
        NDArray merged =
                x.reshape(batch, height / 2, 2, width / 2, 2, channels)
                        .transpose(0, 1, 3, 4, 2, 5)
                        .reshape(batch, (long) (height / 2) * (width / 2), 4L * channels);
        if (version == SwinVersion.V1) {
            merged = norm.forward(parameterStore, new NDList(merged), training).head();
            return reduction.forward(parameterStore, new NDList(merged), training);
        }
        merged = reduction.forward(parameterStore, new NDList(merged), training).head();
        return norm.forward(parameterStore, new NDList(merged), training);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long batch = inputShapes[0].get(0);
        long tokens = (long) (height / 2) * (width / 2);
        reduction.initialize(manager, dataType, new Shape(batch, tokens, 4L * channels));
        long normWidth = version == SwinVersion.V1 ? 4L * channels : 2L * channels;
        norm.initialize(manager, dataType, new Shape(batch, tokens, normWidth));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {
            new Shape(inputShapes[0].get(0), (long) (height / 2) * (width / 2), 2L * channels)
        };
    }
}
