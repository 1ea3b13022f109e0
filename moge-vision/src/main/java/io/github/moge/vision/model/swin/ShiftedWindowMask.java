package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * The attention mask of shifted windows. After a cyclic shift by s, a window at the bottom or right
 * edge holds pixels from up to four regions of the unshifted map; a pixel may attend only to pixels
 * of its own region. Rows are split into the regions [0, H - w), [H - w, H - s), [H - s, H),
 * columns likewise; two pixels of one window whose region ids differ get {@link #MASKED} added to
 * their attention logit.
 */
public final class ShiftedWindowMask {

    /** The logit offset of a masked pair (as in the Swin reference). */
    public static final float MASKED = -100f;

    private ShiftedWindowMask() {}

    /**
     * Computes the mask, vectorised.
     *
     * @param manager where to create it
     * @param height H of the (padded) feature map
     * @param width W of the (padded) feature map
     * @param window the window size w
     * @param shift the shift s, 0 &lt; s &lt; w
     * @param dataType the mask's type
     * @return shape [nW, w * w, w * w], 0 or {@link #MASKED}
     */
    public static NDArray compute(
            NDManager manager, long height, long width, int window, int shift, DataType dataType) {
        if (!(shift > 0 && shift < window)) {
            throw new IllegalArgumentException(
                    "shift must be in (0, " + window + "), got " + shift);
        }
        NDArray rows = regions(manager, height, window, shift).reshape(height, 1).mul(3);
        NDArray cols = regions(manager, width, window, shift).reshape(1, width);
        NDArray ids = rows.add(cols).reshape(1, height, width, 1);
        NDArray perWindow = WindowOps.partition(ids, window).squeeze(2); // [nW, N]
        NDArray differ = perWindow.expandDims(1).neq(perWindow.expandDims(2));
        return differ.toType(dataType, false).mul(MASKED);
    }

    /** Region of each coordinate: 0 before n - w, 1 before n - s, 2 after. */
    private static NDArray regions(NDManager manager, long n, int window, int shift) {
        NDArray index = manager.arange(0f, (float) n);
        return index.gte((float) (n - window))
                .toType(DataType.FLOAT32, false)
                .add(index.gte((float) (n - shift)).toType(DataType.FLOAT32, false));
    }
}
