package io.github.moge.core;

import ai.djl.ndarray.NDArray;

/**
 * Keeps the intermediate arrays of a forward pass in the batch's memory scope.
 *
 * <p>In DJL the result of an operation is attached to the manager of its first operand. When a
 * forward pass starts an expression from a parameter or a block constant ({@code
 * classToken.broadcast(...)}, {@code logitScale.exp()}, {@code biasTable.get(index)}), the result
 * and everything computed from it land on the model's long-lived manager and are never freed:
 * native memory grows every step. {@link #view} returns a view of such an array attached to the
 * batch's manager instead; gradients still flow to the parameter.
 */
public final class BatchScope {

    private BatchScope() {}

    /**
     * Returns a view of {@code value} (typically a parameter value) attached to the manager of
     * {@code batchArray}, so that results computed from it are closed with the batch.
     *
     * @param value the parameter or constant array
     * @param batchArray any array of the current batch (its manager is the target scope)
     * @return a differentiable view of {@code value} in the batch's scope
     */
    public static NDArray view(NDArray value, NDArray batchArray) {
        NDArray view = value.reshape(value.getShape());
        view.attach(batchArray.getManager());
        return view;
    }
}
