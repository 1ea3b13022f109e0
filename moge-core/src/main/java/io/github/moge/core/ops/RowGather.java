package io.github.moge.core.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;

/**
 * Row lookup {@code table[indices]} whose gradient is the same on every run.
 *
 * <p>{@code table.get(new NDIndex("{}", indices))} is PyTorch's advanced indexing, whose backward
 * is {@code index_put_(accumulate=true)}. On CPU that kernel adds in parallel with atomic float
 * additions once the gradient has at least 32768 elements and more than one intra-op thread runs
 * (PyTorch 2.0.1, {@code IndexKernel.cpp}; serial only under {@code
 * torch.use_deterministic_algorithms}, which DJL 0.25 does not expose). A row indexed three or more
 * times (a frequent word in a language model's batch) then sums its gradients in an order that
 * depends on thread timing, and two runs with the same seed differ in the last bits. This lookup
 * runs {@code torch.embedding} instead: the same forward values, and a dense backward in which one
 * thread sums each row's gradients in index order, which is what the serial indexing kernel
 * computes, bit for bit.
 */
public final class RowGather {

    private RowGather() {}

    /**
     * Returns the rows of {@code table} at {@code indices}: shape {@code indices.shape + [d]}.
     * Gradients flow to {@code table}. The result belongs to the manager of {@code table}, as
     * {@code table.get(index)}'s would: give a parameter as a view on the step's scope ({@code
     * BatchScope.view}).
     *
     * @param table the rows, shape [rows, d]
     * @param indices the row numbers, integer type, any shape
     * @return the gathered rows
     */
    public static NDArray rows(NDArray table, NDArray indices) {
        if (table.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "table must have shape [rows, d], got " + table.getShape());
        }
        NDArray index =
                indices.getDataType() == DataType.INT64
                        ? indices
                        : indices.toType(DataType.INT64, false);
        return table.getNDArrayInternal().embedding(index, table, SparseFormat.DENSE).head();
    }
}
