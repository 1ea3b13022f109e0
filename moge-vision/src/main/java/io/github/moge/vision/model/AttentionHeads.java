package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * Reshapes between token layout [B, T, D] and per-head layout [B, heads, T, D / heads], the
 * plumbing every multi-head attention in this package shares.
 */
public final class AttentionHeads {

    private AttentionHeads() {}

    /**
     * Checks that the heads divide the width.
     *
     * @param width the model width D
     * @param heads the number of heads
     * @return the head width D / heads
     */
    public static int headWidth(int width, int heads) {
        if (heads < 1 || width < 1 || width % heads != 0) {
            throw new IllegalArgumentException(
                    "the number of heads (" + heads + ") must divide the width (" + width + ")");
        }
        return width / heads;
    }

    /**
     * Splits the output of a fused query-key-value projection into per-head queries, keys and
     * values.
     *
     * @param qkv shape [B, T, 3 * D], laid out as (q, k, v) each with its heads consecutive
     * @param heads the number of heads
     * @return (q, k, v), each [B, heads, T, D / heads]
     */
    public static NDList splitQkv(NDArray qkv, int heads) {
        Shape shape = qkv.getShape();
        long b = shape.get(0);
        long t = shape.get(1);
        long d = shape.get(2) / 3;
        NDArray perHead = qkv.reshape(b, t, 3, heads, d / heads).transpose(2, 0, 3, 1, 4);
        return new NDList(perHead.get(0), perHead.get(1), perHead.get(2));
    }

    /**
     * Joins per-head outputs back into token layout.
     *
     * @param x shape [B, heads, T, Dh]
     * @return shape [B, T, heads * Dh]
     */
    public static NDArray merge(NDArray x) {
        Shape shape = x.getShape();
        return x.transpose(0, 2, 1, 3)
                .reshape(shape.get(0), shape.get(2), shape.get(1) * shape.get(3));
    }
}
