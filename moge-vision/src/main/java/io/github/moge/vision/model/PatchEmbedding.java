package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Cuts an image [B, C, H, W] into non-overlapping p x p patches and embeds each linearly: a DJL
 * {@link Conv2d} with kernel and stride p, flattened to tokens [B, (H/p)(W/p), D] in row-major
 * patch order, optionally followed by a LayerNorm (Swin's patch norm).
 */
public final class PatchEmbedding extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int patchSize;
    private final int width;
    private final Conv2d proj;
    private final LayerNorm norm;

    /**
     * Creates the block.
     *
     * @param patchSize p, at least 1
     * @param width the embedding width D
     * @param normalize whether to apply a LayerNorm to the tokens
     */
    public PatchEmbedding(int patchSize, int width, boolean normalize) {
        super(VERSION);
        if (patchSize < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "patch size and width must be >= 1, got " + patchSize + " and " + width);
        }
        this.patchSize = patchSize;
        this.width = width;
        this.proj =
                addChildBlock(
                        "proj",
                        Conv2d.builder()
                                .setKernelShape(new Shape(patchSize, patchSize))
                                .optStride(new Shape(patchSize, patchSize))
                                .setFilters(width)
                                .build());
        this.norm = normalize ? addChildBlock("norm", LayerNorm.builder().axis(2).build()) : null;
    }

    /**
     * Checks that an image size is a whole number of patches.
     *
     * @param height the image height
     * @param imageWidth the image width
     * @param patchSize p
     */
    public static void checkDivisible(long height, long imageWidth, int patchSize) {
        if (height % patchSize != 0 || imageWidth % patchSize != 0) {
            throw new IllegalArgumentException(
                    "image size "
                            + height
                            + "x"
                            + imageWidth
                            + " is not divisible by the patch size "
                            + patchSize);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray image = inputs.head();
        Shape shape = image.getShape();
        checkInput(shape);
        NDArray maps = proj.forward(parameterStore, new NDList(image), training).head();
        NDArray tokens = maps.reshape(shape.get(0), width, -1).transpose(0, 2, 1);
        if (norm != null) {
            tokens = norm.forward(parameterStore, new NDList(tokens), training).head();
        }
        return new NDList(tokens);
    }

    private void checkInput(Shape shape) {
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException("PatchEmbedding expects [B, C, H, W], got " + shape);
        }
        checkDivisible(shape.get(2), shape.get(3), patchSize);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
        if (norm != null) {
            norm.initialize(manager, dataType, getOutputShapes(inputShapes)[0]);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        checkInput(s);
        return new Shape[] {
            new Shape(s.get(0), (s.get(2) / patchSize) * (s.get(3) / patchSize), width)
        };
    }

    /** {@return the patch size p} */
    public int getPatchSize() {
        return patchSize;
    }
}
