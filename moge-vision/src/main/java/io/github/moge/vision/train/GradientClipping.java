package io.github.moge.vision.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * Clips gradients by their global L2 norm, as {@code torch.nn.utils.clip_grad_norm_} does: when the
 * norm of all gradients taken together exceeds {@code maxNorm}, every gradient is scaled in place by
 * {@code maxNorm / (norm + 1e-6)}.
 *
 * <p>DJL 0.25's {@code optClipGrad} clamps each value from above only on PyTorch and has no norm
 * clipping, so call this between the backward pass and {@code trainer.step()}. The norm is computed
 * on the device; one scalar is read back.
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * Clips the gradients of parameters in place.
     *
     * @param parameters the block's parameters ({@code block.getParameters()})
     * @param maxNorm the largest allowed global norm; {@code <= 0} or infinite only measures
     * @param scratch the manager that owns the temporary gradient views (close it after the step)
     * @return the global norm before clipping
     */
    public static float clipByGlobalNorm(Iterable<Pair<String, Parameter>> parameters, float maxNorm, NDManager scratch) {
        List<NDArray> grads = new ArrayList<>();
        for (Pair<String, Parameter> p : parameters) {
            Parameter param = p.getValue();
            if (!param.isInitialized() || !param.requiresGradient()) {
                continue;
            }
            NDArray array = param.getArray();
            if (!array.hasGradient()) {
                continue;
            }
            NDArray g = array.getGradient();
            g.attach(scratch);
            grads.add(g);
        }
        if (grads.isEmpty()) {
            return 0f;
        }
        NDArray sum = null;
        for (NDArray g : grads) {
            // Accumulate in float64: squares of large float32 gradients overflow to infinity.
            NDArray sq = g.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).square().sum();
            sum = sum == null ? sq : sum.add(sq);
        }
        float norm = (float) Math.sqrt(sum.getDouble());
        if (maxNorm > 0 && Float.isFinite(maxNorm) && norm > maxNorm) {
            float scale = maxNorm / (norm + 1e-6f);
            for (NDArray g : grads) {
                g.muli(scale);
            }
        }
        return norm;
    }
}
