package io.github.moge.core.ops;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic with a constant that is safe to differentiate on every engine device.
 *
 * <p>On CPU, DJL 0.25's {@code x.mul(2f)} (likewise {@code div}, {@code pow}, {@code maximum},
 * {@code minimum} with a Number) wraps the constant in a tensor whose memory is a Java direct
 * buffer ({@code torch::from_blob}) and closes it right after the operation. Autograd keeps that
 * tensor for the backward pass, but once closed nothing keeps the buffer alive: when the garbage
 * collector frees it before backward, the gradient is computed from freed memory and training
 * diverges at random steps. The methods here create the constant as a tensor that owns its memory,
 * in {@code x}'s data type (so a Java double does not promote a float32 result to float64 either).
 * Add and subtract save no operand for backward and need no such care.
 */
public final class ScalarOps {

    private ScalarOps() {}

    /**
     * Returns a 0-dimensional array holding {@code value} in the data type, device and manager of
     * {@code like}, with memory owned by the engine.
     *
     * @param like the array whose type, device and manager the constant takes
     * @param value the constant
     * @return the constant
     */
    public static NDArray scalar(NDArray like, double value) {
        try (NDArray host = like.getManager().create(value)) {
            // copy = true: the result owns new memory instead of aliasing the closed array's buffer
            return host.toType(like.getDataType(), true).toDevice(like.getDevice(), false);
        }
    }

    /**
     * Returns {@code x * c}.
     *
     * @param x the array
     * @param c the constant
     * @return the product, x's data type
     */
    public static NDArray mul(NDArray x, double c) {
        return x.mul(scalar(x, c));
    }

    /**
     * Returns {@code x / c}.
     *
     * @param x the array
     * @param c the constant
     * @return the quotient, x's data type
     */
    public static NDArray div(NDArray x, double c) {
        return x.div(scalar(x, c));
    }

    /**
     * Returns {@code x ^ c}.
     *
     * @param x the array
     * @param c the exponent
     * @return the power, x's data type
     */
    public static NDArray pow(NDArray x, double c) {
        return x.pow(scalar(x, c));
    }

    /**
     * Returns the element-wise {@code max(x, c)}.
     *
     * @param x the array
     * @param c the constant
     * @return the maximum, x's data type
     */
    public static NDArray maximum(NDArray x, double c) {
        return x.maximum(scalar(x, c));
    }

    /**
     * Returns the element-wise {@code min(x, c)}.
     *
     * @param x the array
     * @param c the constant
     * @return the minimum, x's data type
     */
    public static NDArray minimum(NDArray x, double c) {
        return x.minimum(scalar(x, c));
    }
}
