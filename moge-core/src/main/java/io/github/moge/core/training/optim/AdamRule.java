package io.github.moge.core.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.HashMap;
import java.util.Map;

/**
 * The Adam update as PyTorch's torch.optim.Adam / AdamW compute it (non-fused, not amsgrad), shared
 * by {@link StatefulAdam} and {@link StatefulAdamW}:
 *
 * <pre>
 *   Adam:  g = g + wd * w                      (L2 penalty in the gradient)
 *   AdamW: w = w * (1 - lr * wd)               (decoupled decay)
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   w = w - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 */
final class AdamRule {

    private static final NDIndex ALL = new NDIndex("...");

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final boolean decoupled;
    private final Map<String, NDArray> workspaces = new HashMap<>();

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

    /**
     * Applies the update in place without full-size temporaries: the gradient {@code g} is
     * overwritten (it serves as one workspace) and a second workspace per parameter shape is kept
     * across steps. Every operation rounds exactly as the out-of-place formula above, except the
     * square root, computed as an in-place power of 0.5 (DJL has no in-place sqrt), which may
     * differ from sqrt in the last bit.
     *
     * @param weight the parameter, updated in place
     * @param g the preprocessed gradient; overwritten
     * @param state the moments, updated in place
     * @param t the 1-based update number
     * @param lr the learning rate
     * @param weightDecay the weight decay
     */
    void apply(NDArray weight, NDArray g, NDList state, int t, float lr, float weightDecay) {
        NDArray mean = state.get(0);
        NDArray variance = state.get(1);
        NDArray work = workspace(weight);
        if (weightDecay != 0f) {
            if (decoupled) {
                weight.muli((float) (1.0 - (double) lr * weightDecay));
            } else {
                copy(weight, work).muli(weightDecay);
                g.addi(work);
            }
        }
        copy(g, work).muli(g).muli(1f - beta2);
        variance.muli(beta2).addi(work);
        mean.muli(beta1).addi(g.muli(1f - beta1));
        double correction1 = 1.0 - Math.pow(beta1, t);
        double correction2 = Math.sqrt(1.0 - Math.pow(beta2, t));
        float stepSize = (float) (lr / correction1);
        copy(variance, work).powi(0.5f).divi((float) correction2).addi(epsilon);
        copy(mean, g).divi(work).muli(stepSize);
        weight.subi(g);
    }

    /** Copies {@code source} into {@code target} in place (on the engine, no host round trip). */
    private static NDArray copy(NDArray source, NDArray target) {
        target.set(ALL, source);
        return target;
    }

    /**
     * Returns the scratch array for the weight's shape, type and device, created once on the
     * weight's manager and reused by every later update (parameters of equal shape share it).
     */
    private NDArray workspace(NDArray weight) {
        String key = weight.getShape() + "/" + weight.getDataType() + "/" + weight.getDevice();
        NDArray work = workspaces.get(key);
        if (work == null || work.isReleased()) {
            work =
                    weight.getManager()
                            .create(weight.getShape(), weight.getDataType(), weight.getDevice());
            work.setName("adam-workspace");
            workspaces.put(key, work);
        }
        return work;
    }
}
