package io.github.moge.core.training.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

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

    /**
     * Elements per slice of the CPU update: a slice's weight, gradient, moments and temporaries
     * (about 7 x 1 MB) fit in the cache of current server cores; docs/benchmarks.md has the
     * measurement.
     */
    static final long CHUNK_ELEMENTS = 1L << 18;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final boolean decoupled;
    private final long chunkElements;

    AdamRule(float beta1, float beta2, float epsilon, boolean decoupled) {
        this(beta1, beta2, epsilon, decoupled, CHUNK_ELEMENTS);
    }

    AdamRule(float beta1, float beta2, float epsilon, boolean decoupled, long chunkElements) {
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
        if (chunkElements < 1) {
            throw new IllegalArgumentException("chunkElements must be >= 1, got " + chunkElements);
        }
        this.chunkElements = chunkElements;
    }

    NDList createState(NDArray weight) {
        NDArray mean = weight.zerosLike();
        NDArray variance = weight.zerosLike();
        mean.setName("mean");
        variance.setName("variance");
        return new NDList(mean, variance);
    }

    /**
     * Applies the update in place. On the CPU the arrays are walked in slices of whole rows (along
     * the first axis) of about {@code chunkElements} elements, and every operation of the formula
     * runs on one slice before the next: the slice's weight, gradient, moments and temporaries stay
     * in the cache, so memory is read and written about once per step instead of once per
     * operation, and the temporaries are small enough for any allocator to reuse. Elsewhere (a GPU)
     * the whole array is one slice. Slicing the first axis gives views, so the updates land in the
     * arrays; each element goes through the same operations in the same order either way, so the
     * result does not depend on the slicing.
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
        Shape shape = weight.getShape();
        long rows = shape.dimension() == 0 ? 1 : shape.get(0);
        long rowSize = shape.dimension() == 0 ? 1 : shape.size() / Math.max(1, rows);
        long rowsPerSlice = Math.max(1, chunkElements / Math.max(1, rowSize));
        boolean sliced =
                weight.getDevice().getDeviceType().equals(Device.Type.CPU) && rows > rowsPerSlice;
        try (NDManager scope = weight.getManager().newSubManager()) {
            Step step = new Step(scope, t, lr, weightDecay);
            if (!sliced) {
                // Temporaries go to the scope, the arrays back to their managers on close.
                scope.tempAttachAll(new NDList(weight, g, mean, variance));
                step.update(weight, g, mean, variance);
                return;
            }
            for (long from = 0; from < rows; from += rowsPerSlice) {
                try (NDManager sliceScope = scope.newSubManager()) {
                    NDIndex rowSlice =
                            new NDIndex("{}:{}", from, Math.min(rows, from + rowsPerSlice));
                    NDList slice =
                            new NDList(
                                    weight.get(rowSlice),
                                    g.get(rowSlice),
                                    mean.get(rowSlice),
                                    variance.get(rowSlice));
                    slice.attach(sliceScope);
                    step.update(slice.get(0), slice.get(1), slice.get(2), slice.get(3));
                }
            }
        }
    }

    /**
     * One update's coefficients, made once as scalar arrays on the parameter's device (not once per
     * slice and operation), applied to the whole array or to one slice of it.
     */
    private final class Step {

        private final boolean decay;
        private final NDArray decayFactor;
        private final NDArray weightDecay;
        private final NDArray beta1;
        private final NDArray oneMinusBeta1;
        private final NDArray beta2;
        private final NDArray oneMinusBeta2;
        private final NDArray correction2;
        private final NDArray epsilon;
        private final NDArray stepSize;
        private final NDArray varianceFloor;

        Step(NDManager scope, int t, float lr, float weightDecay) {
            this.decay = weightDecay != 0f;
            this.decayFactor = scope.create((float) (1.0 - (double) lr * weightDecay));
            this.weightDecay = scope.create(weightDecay);
            this.beta1 = scope.create(AdamRule.this.beta1);
            this.oneMinusBeta1 = scope.create(1f - AdamRule.this.beta1);
            this.beta2 = scope.create(AdamRule.this.beta2);
            this.oneMinusBeta2 = scope.create(1f - AdamRule.this.beta2);
            this.correction2 =
                    scope.create((float) Math.sqrt(1.0 - Math.pow(AdamRule.this.beta2, t)));
            this.epsilon = scope.create(AdamRule.this.epsilon);
            this.stepSize = scope.create((float) (lr / (1.0 - Math.pow(AdamRule.this.beta1, t))));
            double c2 = Math.sqrt(1.0 - Math.pow(AdamRule.this.beta2, t));
            // The engine's sqrt is 6x slower on zeros and over 100x slower on subnormals than on
            // normal numbers (docs/benchmarks.md), and the variance of experts that received no
            // token is zero or decays into the subnormals. Raising it to the smallest normal float
            // first changes no bit when sqrt(MIN_NORMAL) / c2 is below half an ulp of epsilon (with
            // room for rounding): the denominator is epsilon either way.
            boolean floorIsExact =
                    Math.sqrt(Float.MIN_NORMAL) / c2 * 4 < Math.ulp(AdamRule.this.epsilon) / 2;
            this.varianceFloor = floorIsExact ? scope.create(Float.MIN_NORMAL) : null;
        }

        /**
         * The formula on arrays of one shape; temporaries land on the arrays' manager, which the
         * caller closes.
         */
        void update(NDArray weight, NDArray g, NDArray mean, NDArray variance) {
            if (decay) {
                if (decoupled) {
                    weight.muli(decayFactor);
                } else {
                    g.addi(weight.mul(weightDecay));
                }
            }
            variance.muli(beta2).addi(g.mul(g).muli(oneMinusBeta2));
            mean.muli(beta1).addi(g.muli(oneMinusBeta1));
            NDArray root =
                    varianceFloor == null
                            ? variance.sqrt()
                            : variance.maximum(varianceFloor).sqrt();
            NDArray denominator = root.divi(correction2).addi(epsilon);
            weight.subi(mean.div(denominator).muli(stepSize));
        }
    }
}
