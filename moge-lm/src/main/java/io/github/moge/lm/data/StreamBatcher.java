package io.github.moge.lm.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Lays a token stream out as B contiguous rows (BPTT style) and cuts it into blocks of M columns,
 * so that block j+1 of row b continues block j of row b and a model's memory can be carried from
 * one block to the next.
 *
 * <p>Row b holds tokens {@code [b * n, (b + 1) * n)} of the stream with n = floor(length / B); the
 * tail that does not fill a row is dropped (fewer than B tokens). Block j has inputs at columns
 * {@code [j M, j M + m)} and labels one column later, where m = M except possibly for the last
 * block ({@code includePartial}), so every one of the B (n - 1) predictable tokens is predicted
 * exactly once.
 */
public final class StreamBatcher {

    private final int rows;
    private final int rowLength;
    private final int block;
    private final int[] data;
    private final boolean includePartial;

    /**
     * Creates a batcher.
     *
     * @param stream the token ids
     * @param batch B, the number of rows
     * @param block M, columns per block
     * @param includePartial whether to emit a last, shorter block (evaluation) or drop it
     *     (training)
     */
    public StreamBatcher(int[] stream, int batch, int block, boolean includePartial) {
        if (batch < 1 || block < 1) {
            throw new IllegalArgumentException(
                    "batch and block must be >= 1, got " + batch + " and " + block);
        }
        if (stream.length / batch < 2) {
            throw new IllegalArgumentException(
                    "a stream of "
                            + stream.length
                            + " tokens is too short for "
                            + batch
                            + " rows: each row needs at least 2 tokens");
        }
        this.rows = batch;
        this.rowLength = stream.length / batch;
        this.block = block;
        this.data = Arrays.copyOf(stream, rows * rowLength);
        this.includePartial = includePartial;
    }

    /** {@return the number of blocks} */
    public int size() {
        int predictable = rowLength - 1;
        return includePartial ? (predictable + block - 1) / block : predictable / block;
    }

    /** {@return the number of tokens predicted over all blocks} */
    public long predictedTokens() {
        long columns = includePartial ? rowLength - 1 : (long) (rowLength - 1) / block * block;
        return columns * rows;
    }

    /** {@return B} */
    public int getBatchSize() {
        return rows;
    }

    /** {@return M} */
    public int getBlock() {
        return block;
    }

    /**
     * Returns block j as (inputs [B, m], labels [B, m]), both int32.
     *
     * @param manager where to create the arrays
     * @param j the block index, 0 &lt;= j &lt; size()
     * @return inputs and labels
     */
    public NDList get(NDManager manager, int j) {
        if (j < 0 || j >= size()) {
            throw new IndexOutOfBoundsException("block " + j + " of " + size());
        }
        int start = j * block;
        int width = Math.min(block, rowLength - 1 - start);
        int[] inputs = new int[rows * width];
        int[] labels = new int[rows * width];
        for (int b = 0; b < rows; b++) {
            System.arraycopy(data, b * rowLength + start, inputs, b * width, width);
            System.arraycopy(data, b * rowLength + start + 1, labels, b * width, width);
        }
        Shape shape = new Shape(rows, width);
        NDArray x = manager.create(inputs, shape);
        NDArray y = manager.create(labels, shape);
        return new NDList(x, y);
    }
}
