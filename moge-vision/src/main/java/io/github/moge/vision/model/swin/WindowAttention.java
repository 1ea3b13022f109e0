package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.vision.model.AttentionHeads;

/**
 * Multi-head self-attention inside w x w windows with a relative position bias: input windows [B *
 * nW, w * w, C] and an optional shifted-window mask [nW, w * w, w * w]. {@link WindowAttentionV1}
 * and {@link WindowAttentionV2} differ in the attention logits and in how they produce the bias.
 */
public abstract class WindowAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    /** The window size w. */
    protected final int window;

    /** The number of heads. */
    protected final int heads;

    /** The channel width C. */
    protected final int width;

    /**
     * Creates the block.
     *
     * @param width C
     * @param heads must divide C
     * @param window w
     */
    protected WindowAttention(int width, int heads, int window) {
        super(VERSION);
        AttentionHeads.headWidth(width, heads);
        if (window < 1) {
            throw new IllegalArgumentException("window size must be >= 1, got " + window);
        }
        this.width = width;
        this.heads = heads;
        this.window = window;
    }

    /**
     * Attends within each window.
     *
     * @param parameterStore the parameter store
     * @param windows [B * nW, w * w, C]
     * @param mask [nW, w * w, w * w] added to the logits, or null
     * @param training whether this is a training pass
     * @return [B * nW, w * w, C]
     */
    public abstract NDArray attend(
            ParameterStore parameterStore, NDArray windows, NDArray mask, boolean training);

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        return new NDList(attend(parameterStore, inputs.head(), mask, training));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /**
     * Looks a per-offset table up for every pixel pair of a window.
     *
     * @param table [(2w - 1)^2, heads]
     * @return [heads, w^2, w^2]
     */
    protected NDArray pairwise(NDArray table) {
        long n = (long) window * window;
        NDArray index = RelativePositions.index(table.getManager(), window);
        return table.get(new NDIndex("{}", index)).reshape(n, n, heads).transpose(2, 0, 1);
    }

    /**
     * Adds the shifted-window mask to attention logits.
     *
     * @param logits [B * nW, heads, N, N]
     * @param mask [nW, N, N], or null
     * @return the masked logits
     */
    protected static NDArray applyMask(NDArray logits, NDArray mask) {
        if (mask == null) {
            return logits;
        }
        Shape s = logits.getShape();
        long windows = mask.getShape().get(0);
        long n = s.get(2);
        return logits.reshape(-1, windows, s.get(1), n, n)
                .add(mask.reshape(1, windows, 1, n, n))
                .reshape(s);
    }

    /** {@return the window size} */
    public int getWindow() {
        return window;
    }

    /** {@return the number of heads} */
    public int getHeads() {
        return heads;
    }
}
