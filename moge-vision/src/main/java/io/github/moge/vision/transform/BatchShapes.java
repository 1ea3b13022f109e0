package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/** Shape checks and zero padding shared by the batch augmentations. */
final class BatchShapes {

    private BatchShapes() {}

    /** {@return the batch as [B, C, H, W], adding a batch axis to a single [C, H, W] image} */
    static NDArray asBatch(NDArray x, String who) {
        Shape s = x.getShape();
        if (s.dimension() == 3) {
            return x.expandDims(0);
        }
        if (s.dimension() != 4) {
            throw new IllegalArgumentException(
                    who + " expects [B, C, H, W] or [C, H, W] images, got " + s);
        }
        return x;
    }

    /** Undoes {@link #asBatch} for a single image. */
    static NDArray restore(NDArray y, NDArray original) {
        return original.getShape().dimension() == 3 ? y.squeeze(0) : y;
    }

    /** Zero-pads the last two axes of [B, C, H, W]. */
    static NDArray pad(NDArray x, int top, int bottom, int left, int right) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        NDArray out = x;
        if (left > 0 || right > 0) {
            NDList parts = new NDList();
            if (left > 0) {
                parts.add(x.getManager().zeros(new Shape(b, c, h, left), x.getDataType()));
            }
            parts.add(out);
            if (right > 0) {
                parts.add(x.getManager().zeros(new Shape(b, c, h, right), x.getDataType()));
            }
            out = NDArrays.concat(parts, 3);
        }
        if (top > 0 || bottom > 0) {
            long w = out.getShape().get(3);
            NDList parts = new NDList();
            if (top > 0) {
                parts.add(x.getManager().zeros(new Shape(b, c, top, w), x.getDataType()));
            }
            parts.add(out);
            if (bottom > 0) {
                parts.add(x.getManager().zeros(new Shape(b, c, bottom, w), x.getDataType()));
            }
            out = NDArrays.concat(parts, 2);
        }
        return out;
    }

    /** A [B, 1, 1, 1] float array from per-sample values, on the device of {@code like}. */
    static NDArray perSample(NDArray like, float[] values) {
        return like.getManager()
                .create(values, new Shape(values.length, 1, 1, 1))
                .toType(like.getDataType(), false);
    }
}
