package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Vectorised window operations on feature maps [B, H, W, C]: partition into non-overlapping
 * windows, its inverse, the cyclic shift (DJL 0.25 has no roll; slicing and concatenation), and
 * zero padding to a multiple of the window size.
 */
public final class WindowOps {

    private WindowOps() {}

    /**
     * Splits a feature map into windows, row-major over the windows and over the pixels in each
     * window.
     *
     * @param x shape [B, H, W, C]
     * @param window the window size; must divide H and W
     * @return shape [B * (H / window) * (W / window), window * window, C]
     */
    public static NDArray partition(NDArray x, int window) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        checkDivides(h, w, window);
        return x.reshape(b, h / window, window, w / window, window, c)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(-1, (long) window * window, c);
    }

    /**
     * Reassembles windows into feature maps; the inverse of {@link #partition}.
     *
     * @param windows shape [B * nW, window * window, C]
     * @param window the window size
     * @param height H
     * @param width W
     * @return shape [B, H, W, C]
     */
    public static NDArray reverse(NDArray windows, int window, long height, long width) {
        checkDivides(height, width, window);
        long c = windows.getShape().get(2);
        return windows.reshape(-1, height / window, width / window, window, window, c)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(-1, height, width, c);
    }

    /**
     * Cyclic shift along one axis, like {@code torch.roll}: {@code out[i] = x[(i - shift) mod n]}.
     *
     * @param x the array
     * @param shift the shift (any sign)
     * @param axis the axis (non-negative)
     * @return the rolled array
     */
    public static NDArray roll(NDArray x, long shift, int axis) {
        long n = x.getShape().get(axis);
        long s = ((shift % n) + n) % n;
        if (s == 0) {
            return x;
        }
        NDArray tail = x.get(new NDIndex().addAllDim(axis).addSliceDim(n - s, n));
        NDArray head = x.get(new NDIndex().addAllDim(axis).addSliceDim(0, n - s));
        return tail.concat(head, axis);
    }

    /**
     * Pads H and W of [B, H, W, C] with zeros at the end up to multiples of the window size.
     *
     * @param x the feature map
     * @param window the window size
     * @return the padded map (x itself when no padding is needed)
     */
    public static NDArray padToWindow(NDArray x, int window) {
        Shape s = x.getShape();
        long padH = (window - s.get(1) % window) % window;
        long padW = (window - s.get(2) % window) % window;
        NDArray out = x;
        if (padH > 0) {
            out =
                    out.concat(
                            x.getManager()
                                    .zeros(
                                            new Shape(s.get(0), padH, s.get(2), s.get(3)),
                                            x.getDataType()),
                            1);
        }
        if (padW > 0) {
            Shape p = out.getShape();
            out =
                    out.concat(
                            x.getManager()
                                    .zeros(
                                            new Shape(p.get(0), p.get(1), padW, p.get(3)),
                                            x.getDataType()),
                            2);
        }
        return out;
    }

    /**
     * Checks that a window size tiles a feature map.
     *
     * @param height H
     * @param width W
     * @param window the window size
     */
    public static void checkDivides(long height, long width, int window) {
        if (window < 1 || height % window != 0 || width % window != 0) {
            throw new IllegalArgumentException(
                    "window size "
                            + window
                            + " does not divide the "
                            + height
                            + "x"
                            + width
                            + " feature map (pad it with padToWindow, or choose another window)");
        }
    }
}
