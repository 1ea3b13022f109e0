package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.function.IntFunction;

/**
 * (Shifted-)window self-attention on tokens [B, H * W, C] of an H x W feature map: optional zero
 * padding to a multiple of the window, a cyclic shift by -s (for shifted blocks), window partition,
 * {@link WindowAttention} with the {@link ShiftedWindowMask}, window reverse, the shift back by +s,
 * and cropping.
 *
 * <p>As in the Swin reference, when the feature map is no larger than the window the window shrinks
 * to the map and the shift is dropped ({@link #effectiveWindow}). Child: {@code attn}.
 */
public final class ShiftedWindowAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int height;
    private final int width;
    private final int window;
    private final int shift;
    private final boolean pad;
    private final WindowAttention attention;

    /**
     * Creates the block.
     *
     * @param height H of the feature map
     * @param width W of the feature map
     * @param window the configured window size
     * @param shifted whether this block shifts its windows by half a window
     * @param padToWindow whether to zero-pad a map the window does not tile (otherwise that is an
     *     error)
     * @param attention makes the window attention for the effective window size
     */
    public ShiftedWindowAttention(
            int height,
            int width,
            int window,
            boolean shifted,
            boolean padToWindow,
            IntFunction<WindowAttention> attention) {
        super(VERSION);
        if (height < 1 || width < 1 || window < 1) {
            throw new IllegalArgumentException(
                    "feature map "
                            + height
                            + "x"
                            + width
                            + " and window "
                            + window
                            + " must be >= 1");
        }
        this.height = height;
        this.width = width;
        this.window = effectiveWindow(height, width, window);
        this.shift = shifted && Math.min(height, width) > window ? window / 2 : 0;
        this.pad = padToWindow;
        if (!padToWindow) {
            WindowOps.checkDivides(height, width, this.window);
        }
        this.attention = addChildBlock("attn", attention.apply(this.window));
    }

    /**
     * The window size used on a feature map: the configured one, or the map's smaller side when the
     * map is no larger than the window.
     *
     * @param height H
     * @param width W
     * @param window the configured window size
     * @return the effective window size
     */
    public static int effectiveWindow(int height, int width, int window) {
        int side = Math.min(height, width);
        return side <= window ? side : window;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray tokens = inputs.head();
        Shape shape = tokens.getShape();
        checkInput(shape);
        long batch = shape.get(0);
        long channels = shape.get(2);
        NDArray x = tokens.reshape(batch, height, width, channels);
        if (pad) {
            x = WindowOps.padToWindow(x, window);
        }
        long paddedH = x.getShape().get(1);
        long paddedW = x.getShape().get(2);
        NDArray mask = null;
        if (shift > 0) {
            x = WindowOps.roll(WindowOps.roll(x, -shift, 1), -shift, 2);
            mask =
                    ShiftedWindowMask.compute(
                            x.getManager(), paddedH, paddedW, window, shift, x.getDataType());
        }
        NDArray windows = WindowOps.partition(x, window);
        NDArray attended = attention.attend(parameterStore, windows, mask, training);
        x = WindowOps.reverse(attended, window, paddedH, paddedW);
        if (shift > 0) {
            x = WindowOps.roll(WindowOps.roll(x, shift, 1), shift, 2);
        }
        if (paddedH != height || paddedW != width) {
            x = x.get(new NDIndex(":, :{}, :{}, :", height, width));
        }
        return new NDList(x.reshape(batch, (long) height * width, channels));
    }

    private void checkInput(Shape shape) {
        if (shape.dimension() != 3 || shape.get(1) != (long) height * width) {
            throw new IllegalArgumentException(
                    "expected tokens [B, " + height + " * " + width + ", C], got " + shape);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        attention.initialize(
                manager,
                dataType,
                new Shape(inputShapes[0].get(0), (long) window * window, inputShapes[0].get(2)));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return the effective window size} */
    public int getWindow() {
        return window;
    }

    /** {@return the effective shift (0 for a non-shifted block)} */
    public int getShift() {
        return shift;
    }

    /** {@return the window attention} */
    public WindowAttention getAttention() {
        return attention;
    }
}
