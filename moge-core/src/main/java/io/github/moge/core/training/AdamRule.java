package io.github.moge.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;

/**
 * The Adam update as PyTorch's torch.optim.Adam / AdamW compute it (non-fused, not amsgrad), shared by
 * {@link StatefulAdam} and {@link StatefulAdamW}:
 *
 * <pre>
 *   Adam:  g = g + wd * w                      (L2 penalty in the gradient)
 *   AdamW: w = w * (1 - lr * wd)               (decoupled decay)
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   w = w - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 */
final class AdamRule {

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final boolean decoupled;

    AdamRule(float beta1, float beta2, float epsilon, boolean decoupled) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(
                    "beta1 and beta2 must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0) || Float.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.decoupled = decoupled;
    }

    NDList createState(NDArray weight) {
        NDArray mean = weight.zerosLike();
        NDArray variance = weight.zerosLike();
        mean.setName("mean");
        variance.setName("variance");
        return new NDList(mean, variance);
    }

    /** Applies the update in place; every intermediate array is closed before returning. */
    void apply(NDArray weight, NDArray g, NDList state, int t, float lr, float weightDecay) {
        NDArray mean = state.get(0);
        NDArray variance = state.get(1);
        NDArray grad = g;
        List<NDArray> temps = new ArrayList<>();
        try {
            if (weightDecay != 0f) {
                if (decoupled) {
                    weight.muli((float) (1.0 - (double) lr * weightDecay));
                } else {
                    grad = keep(temps, grad.add(keep(temps, weight.mul(weightDecay))));
                }
            }
            mean.muli(beta1).addi(keep(temps, grad.mul(1f - beta1)));
            NDArray squared = keep(temps, grad.mul(grad));
            variance.muli(beta2).addi(keep(temps, squared.mul(1f - beta2)));
            double correction1 = 1.0 - Math.pow(beta1, t);
            double correction2 = Math.sqrt(1.0 - Math.pow(beta2, t));
            float stepSize = (float) (lr / correction1);
            NDArray denominator = keep(temps, variance.sqrt());
            denominator.divi((float) correction2).addi(epsilon);
            NDArray step = keep(temps, mean.div(denominator));
            step.muli(stepSize);
            weight.subi(step);
        } finally {
            temps.forEach(NDArray::close);
        }
    }

    private static NDArray keep(List<NDArray> temps, NDArray array) {
        temps.add(array);
        return array;
    }
}
