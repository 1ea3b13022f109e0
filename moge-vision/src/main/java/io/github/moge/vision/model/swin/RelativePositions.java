package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Relative positions inside a w x w window, shared by the Swin attentions.
 *
 * <ul>
 *   <li>{@link #index}: for pixels i, j (row-major in the window) the row of the (2w - 1)^2 table
 *       that holds their offset: (h_i - h_j + w - 1) * (2w - 1) + (x_i - x_j + w - 1).
 *   <li>{@link #logSpacedTable}: Swin V2's input to the position-bias MLP: every offset (dh, dx) in
 *       [-(w - 1), w - 1]^2, row-major, scaled to [-8, 8] by 8 / (w - 1) and mapped by sign(t)
 *       log2(1 + |t|) / log2(8).
 * </ul>
 */
public final class RelativePositions {

    private RelativePositions() {}

    /**
     * Computes the relative position index, vectorised.
     *
     * @param manager where to create it
     * @param window w
     * @return int64 [w^2 * w^2], row-major over (i, j)
     */
    public static NDArray index(NDManager manager, int window) {
        long n = (long) window * window;
        NDArray p = manager.arange(0f, (float) n);
        NDArray row = p.div(window).floor();
        NDArray col = p.sub(row.mul(window));
        NDArray dh = row.reshape(n, 1).sub(row.reshape(1, n)).add(window - 1);
        NDArray dw = col.reshape(n, 1).sub(col.reshape(1, n)).add(window - 1);
        return dh.mul(2 * window - 1).add(dw).reshape(-1).toType(DataType.INT64, false);
    }

    /**
     * Computes Swin V2's log-spaced relative coordinate table.
     *
     * @param manager where to create it
     * @param window w
     * @param dataType the table's type
     * @return [(2w - 1)^2, 2], row-major over (dh, dx)
     */
    public static NDArray logSpacedTable(NDManager manager, int window, DataType dataType) {
        int m = 2 * window - 1;
        NDArray r = manager.arange((float) -(window - 1), (float) window);
        NDArray dh = r.reshape(m, 1).broadcast(m, m);
        NDArray dw = r.reshape(1, m).broadcast(m, m);
        NDArray table = dh.stack(dw, 2).reshape(m * m, 2);
        if (window > 1) {
            table = table.mul(8f / (window - 1));
        }
        table =
                table.sign()
                        .mul(table.abs().add(1f).log2())
                        .div((float) (Math.log(8) / Math.log(2)));
        return table.toType(dataType, false);
    }
}
