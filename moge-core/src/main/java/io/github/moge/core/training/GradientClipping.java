package io.github.moge.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_} does: when the norm of all
 * gradients taken together exceeds {@code maxNorm}, every gradient is scaled in place by {@code
 * maxNorm / (norm + 1e-6)}. DJL 0.25's {@code optClipGrad} clamps each value from above only on
 * PyTorch and has no norm clipping.
 *
 * <p>The norm stays on the device ({@link #globalNorm}) so that {@link TrainingRun} reads it back
 * together with the step's other scalars in one transfer; {@link #clip} then needs the host value.
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * Returns the global L2 norm of the gradients as a float32 scalar on their device.
     *
     * @param gradients the gradients (at least one)
     * @return {@code sqrt(sum of squares)}, a 0-dimensional array on the first gradient's manager
     */
    public static NDArray globalNorm(List<NDArray> gradients) {
        if (gradients.isEmpty()) {
            throw new IllegalArgumentException("globalNorm needs at least one gradient");
        }
        NDArray squares = null;
        for (NDArray gradient : gradients) {
            NDArray s = gradient.square().sum().toType(DataType.FLOAT32, false);
            squares = squares == null ? s : squares.add(s);
        }
        return squares.sqrt().reshape(new Shape());
    }

    /**
     * Scales the gradients in place so that their global norm is at most {@code maxNorm}.
     *
     * @param gradients the gradients
     * @param norm their global norm ({@link #globalNorm}, read back)
     * @param maxNorm the largest allowed norm; {@code <= 0} disables clipping
     * @return whether the gradients were scaled
     */
    public static boolean clip(List<NDArray> gradients, float norm, float maxNorm) {
        if (!(maxNorm > 0) || !(norm > maxNorm)) {
            return false;
        }
        float coefficient = maxNorm / (norm + 1e-6f);
        for (NDArray gradient : gradients) {
            gradient.muli(coefficient);
        }
        return true;
    }
}
