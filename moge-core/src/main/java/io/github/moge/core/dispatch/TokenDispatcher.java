package io.github.moge.core.dispatch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.experts.StackedExperts;
import io.github.moge.core.ops.RowGather;

/**
 * Moves routed tokens into fixed-size expert slots and combines the expert outputs back, fully
 * vectorised with NDArray operations (no loops over tokens).
 *
 * <p><b>Capacity mode</b> ({@code capacityFactor > 0}): each expert has {@link #capacity(int, int,
 * int, float) k * ceil(C * N / E)} slots. Assignments are placed choice-major: all tokens' first
 * choices before any token's second choice, and so on. Within one choice, tokens come in priority
 * order: with batch prioritized routing (BPR, the default) by their top combine weight {@code
 * weights[:, 0]}, highest first; otherwise in token order. Each expert's slots fill in that order
 * and assignments beyond an expert's capacity are dropped (they contribute zero; the residual
 * connection carries those tokens). Tokens with exactly equal top weights keep their token order
 * (lower index first), although the engine's sort itself is not stable.
 *
 * <p><b>Dropless mode</b> ({@code capacityFactor <= 0}, the default): the capacity is the largest
 * number of assignments any expert received, so nothing is dropped. When many experts are empty
 * (skewed routing, or fewer tokens than experts) only the U occupied experts get slots ({@link
 * DroplessPath#OCCUPIED}), so the cost follows U x max count instead of E x max count. Both need
 * one device-to-host read of two scalars (the largest count and the number of occupied experts);
 * nothing else in this class synchronises with the host.
 *
 * <p>All intermediate arrays are created on the manager and device of the inputs, so they are freed
 * with them.
 *
 * <p>Its length is the two dispatch modes (capacity with batch prioritized routing, and dropless
 * with its padded and occupied-experts paths) kept together because they share the plan and the
 * combine step.
 */
public final class TokenDispatcher {

    /** Relative tie-break step per token index (2^-50), see {@link #priorityOrder}. */
    private static final double TIE_RELATIVE = Math.scalb(1.0, -50);

    /** Absolute tie-break step per token index (2^-1000), separates equal zero weights. */
    private static final double TIE_ABSOLUTE = Math.scalb(1.0, -1000);

    /**
     * Padded rows one gathered expert is worth: the occupied grid copies each occupied expert's
     * weights (d x h and h x d), which is charged as this many slot rows of its products. A rough
     * estimate, not a calibrated one: the invariance model's batches ({@code moge benchmark-step})
     * are far on the occupied side (U x (max + 8) is 5% of E x max for raw pixels, 32% centred).
     */
    static final long GATHER_ROWS_PER_EXPERT = 8;

    private final float capacityFactor;
    private final boolean batchPrioritized;
    private final DroplessPath droplessPath;

    TokenDispatcher(Builder builder) {
        this.capacityFactor = builder.capacityFactor;
        this.batchPrioritized = builder.batchPrioritized;
        this.droplessPath = builder.droplessPath;
    }

    /** How dropless mode runs the experts; capacity mode always runs the padded path. */
    public enum DroplessPath {
        /**
         * Occupied when some expert is empty and U x (max count + {@value #GATHER_ROWS_PER_EXPERT})
         * is at most E x max count, padded otherwise.
         */
        AUTO,
        /** Every expert on max-count slots [E, max count, d]: cost follows E x max count. */
        PADDED,
        /**
         * Only the U experts that received tokens, on slots [U, max count, d], with their weights
         * gathered: cost follows U x max count. With expert dropout the masks are drawn over this
         * smaller grid, so the random draws differ from {@link #PADDED}'s.
         */
        OCCUPIED
    }

    /**
     * Returns a new builder for a {@link TokenDispatcher}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the number of slots per expert in capacity mode: {@code k * ceil(C * N / E)}.
     *
     * @param numTokens the number of tokens N (at least 0)
     * @param numExperts the number of experts E (at least 1)
     * @param topK the number of choices per token k (at least 1)
     * @param capacityFactor the capacity factor C (greater than 0)
     * @return the capacity per expert
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static int capacity(int numTokens, int numExperts, int topK, float capacityFactor) {
        if (numTokens < 0) {
            throw new IllegalArgumentException("numTokens must be >= 0, got " + numTokens);
        }
        if (numExperts < 1) {
            throw new IllegalArgumentException("numExperts must be >= 1, got " + numExperts);
        }
        if (topK < 1 || topK > numExperts) {
            throw new IllegalArgumentException(
                    "topK must be in [1, numExperts=" + numExperts + "], got " + topK);
        }
        if (!(capacityFactor > 0f) || Float.isInfinite(capacityFactor)) {
            throw new IllegalArgumentException(
                    "capacityFactor must be finite and > 0 (dropless mode has no fixed capacity),"
                            + " got "
                            + capacityFactor);
        }
        double perChoice = Math.ceil((double) capacityFactor * numTokens / numExperts);
        double cap = topK * perChoice;
        if (cap > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "capacity k * ceil(C * N / E) = " + cap + " exceeds Integer.MAX_VALUE");
        }
        return (int) cap;
    }

    /**
     * Returns the capacity factor C; values &lt;= 0 mean dropless.
     *
     * @return the capacity factor
     */
    public float getCapacityFactor() {
        return capacityFactor;
    }

    /**
     * Returns whether this dispatcher drops nothing (capacity factor &lt;= 0).
     *
     * @return whether dropless mode is on
     */
    public boolean isDropless() {
        return capacityFactor <= 0f;
    }

    /**
     * Returns whether tokens are prioritized by their top combine weight (BPR) rather than token
     * order.
     *
     * @return whether batch prioritized routing is on
     */
    public boolean isBatchPrioritized() {
        return batchPrioritized;
    }

    /**
     * Assigns every (token, choice) pair to an expert slot.
     *
     * @param experts the chosen experts, int64 (other integer types are converted), shape [N, k]
     * @param weights the combine weights, shape [N, k], largest first; only column 0 is read, and
     *     only with batch prioritized routing (it may be null otherwise)
     * @param numExperts the number of experts E
     * @return the dispatch plan, on {@code experts}' manager and device
     */
    public DispatchPlan plan(NDArray experts, NDArray weights, int numExperts) {
        Shape shape = experts.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("experts must have shape [N, k], got " + shape);
        }
        if (numExperts < 1) {
            throw new IllegalArgumentException("numExperts must be >= 1, got " + numExperts);
        }
        int n = Math.toIntExact(shape.get(0));
        int k = Math.toIntExact(shape.get(1));
        if (batchPrioritized && (weights == null || !weights.getShape().equals(shape))) {
            throw new IllegalArgumentException(
                    "weights must have the shape of experts "
                            + shape
                            + " with batch prioritized routing, got "
                            + (weights == null ? null : weights.getShape()));
        }
        NDManager manager = experts.getManager();
        Device device = experts.getDevice();
        NDArray chosen =
                experts.getDataType() == DataType.INT64
                        ? experts
                        : experts.toType(DataType.INT64, false);

        // Priority order of the tokens: row r of `ranked` is token order[r].
        NDArray order = null;
        NDArray ranked = chosen;
        if (batchPrioritized && n > 0) {
            order = priorityOrder(weights.get(new NDIndex(":, 0")), manager, device);
            ranked = chosen.get(new NDIndex("{}", order));
        }

        // Fill order is choice-major: [k, N] flattened.
        NDArray fill = ranked.transpose().flatten();
        NDArray oneHot = fill.oneHot(numExperts, DataType.INT64); // [k*N, E]
        NDArray expertCounts = oneHot.sum(new int[] {0}); // [E]
        // Position of each assignment within its expert (0-based), in fill order.
        NDArray positionInFill = oneHot.cumSum(0).mul(oneHot).sum(new int[] {1}).sub(1);
        NDArray position =
                positionInFill.reshape(k, n).transpose(); // [N, k], rows in priority order
        if (order != null) {
            NDArray inverse = order.argSort(0, true);
            position = position.get(new NDIndex("{}", inverse)); // back to token order
        }

        int capacity;
        int slotExperts = numExperts;
        NDArray occupiedExperts = null;
        NDArray slotExpert = chosen;
        if (capacityFactor > 0f) {
            capacity = capacity(n, numExperts, k, capacityFactor);
        } else if (n == 0) {
            capacity = 0;
        } else {
            // The single host read of this class: the largest per-expert load and the number of
            // occupied experts, read together.
            NDArray occupied = expertCounts.gt(0);
            long[] load =
                    NDArrays.stack(
                                    new NDList(
                                            expertCounts.max(),
                                            occupied.sum().toType(DataType.INT64, false)))
                            .toLongArray();
            capacity = Math.toIntExact(load[0]);
            int used = Math.toIntExact(load[1]);
            if (usesOccupiedGrid(numExperts, used, capacity)) {
                // Expert e's slots become row rank(e) of a grid of the occupied experts only.
                occupiedExperts = occupied.nonzero().flatten();
                NDArray rank = occupied.toType(DataType.INT64, false).cumSum(0).sub(1);
                slotExpert = rank.get(new NDIndex("{}", chosen.flatten())).reshape(n, k);
                slotExperts = used;
            }
        }
        long numSlots = (long) slotExperts * capacity;
        if (numSlots > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "E * capacity = " + numSlots + " slots exceeds Integer.MAX_VALUE");
        }

        NDArray kept = position.lt(capacity);
        NDArray dropped = kept.logicalNot().toType(DataType.INT64, false);
        NDArray slot = slotExpert.mul(capacity).add(position);
        // Dropped assignments point at the sentinel slot E * capacity.
        NDArray pairSlots = slot.add(slot.neg().add(numSlots).mul(dropped));

        NDArray tokenIds =
                manager.arange(0f, (float) n, 1f, DataType.INT64, device)
                        .reshape(n, 1)
                        .repeat(1, k)
                        .flatten();
        NDArray buffer = manager.zeros(new Shape(numSlots + 1), DataType.INT64, device).add(n);
        if (n > 0) {
            // Kept pairs write their token id; dropped pairs all write into the extra sentinel
            // entry.
            buffer.set(new NDIndex("{}", pairSlots.flatten()), tokenIds);
        }
        NDArray slotTokens = buffer.get(new NDIndex().addSliceDim(0, numSlots));
        return new DispatchPlan(
                slotTokens,
                pairSlots,
                kept,
                expertCounts,
                occupiedExperts,
                slotExperts,
                capacity,
                numExperts,
                n,
                k);
    }

    /**
     * Returns the token indices sorted by descending top weight, ties broken by ascending token
     * index.
     *
     * <p>The engine's sort is not stable (PyTorch scrambles equal keys), so the key is made
     * strictly decreasing in the token index for equal weights: in float64, {@code key = w - |w| *
     * t * 2^-50 - t * 2^-1000}. For N &lt; 2^24 the perturbation is far below the spacing of
     * distinct float32 (or lower-precision) weights, so it never reorders different weights; the
     * additive term separates equal zero weights.
     */
    private static NDArray priorityOrder(NDArray topWeights, NDManager manager, Device device) {
        long n = topWeights.getShape().get(0);
        if (n >= (1L << 24)) {
            throw new IllegalArgumentException(
                    "batch prioritized routing supports fewer than 2^24 tokens, got " + n);
        }
        NDArray w = topWeights.toType(DataType.FLOAT64, false);
        NDArray t = manager.arange(0f, (float) n, 1f, DataType.FLOAT64, device);
        NDArray key = w.sub(w.abs().mul(t.mul(TIE_RELATIVE))).sub(t.mul(TIE_ABSOLUTE));
        return key.argSort(0, false);
    }

    /**
     * Gathers the tokens into expert slots; empty slots are zero. Gradients flow back to {@code x}.
     *
     * @param x the token representations, shape [N, d]
     * @param plan the plan from {@link #plan}
     * @return the expert inputs, shape [E, capacity, d]
     */
    public NDArray dispatch(NDArray x, DispatchPlan plan) {
        Shape shape = x.getShape();
        if (shape.dimension() != 2 || shape.get(0) != plan.getNumTokens()) {
            throw new IllegalArgumentException(
                    "x must have shape [N=" + plan.getNumTokens() + ", d], got " + shape);
        }
        long d = shape.get(1);
        NDArray padded =
                x.concat(x.getManager().zeros(new Shape(1, d), x.getDataType(), x.getDevice()), 0);
        // A token sits in up to k slots; with k >= 3 the indexing backward would sum its
        // gradients in a thread-timing order (RowGather).
        NDArray gathered = RowGather.rows(padded, plan.getSlotTokens());
        return gathered.reshape(plan.getNumSlotExperts(), plan.getCapacity(), d);
    }

    /**
     * Combines the expert outputs into one output per token: {@code y[t] = sum_j kept[t, j] *
     * weights[t, j] * out[slot(t, j)]}. Dropped assignments contribute zero. Gradients flow to
     * {@code expertOutputs} and {@code weights}.
     *
     * @param expertOutputs the expert outputs, shape [E, capacity, d]
     * @param weights the combine weights, shape [N, k]
     * @param plan the plan from {@link #plan}
     * @return the combined outputs, shape [N, d]
     */
    public NDArray combine(NDArray expertOutputs, NDArray weights, DispatchPlan plan) {
        Shape shape = expertOutputs.getShape();
        int n = plan.getNumTokens();
        int k = plan.getTopK();
        if (shape.dimension() != 3
                || shape.get(0) != plan.getNumSlotExperts()
                || shape.get(1) != plan.getCapacity()) {
            throw new IllegalArgumentException(
                    "expertOutputs must have shape [E="
                            + plan.getNumSlotExperts()
                            + ", capacity="
                            + plan.getCapacity()
                            + ", d], got "
                            + shape);
        }
        if (!weights.getShape().equals(new Shape(n, k))) {
            throw new IllegalArgumentException(
                    "weights must have shape [N="
                            + n
                            + ", k="
                            + k
                            + "], got "
                            + weights.getShape());
        }
        long d = shape.get(2);
        long numSlots = (long) plan.getNumSlotExperts() * plan.getCapacity();
        NDArray zeroRow =
                expertOutputs
                        .getManager()
                        .zeros(
                                new Shape(1, d),
                                expertOutputs.getDataType(),
                                expertOutputs.getDevice());
        NDArray padded = expertOutputs.reshape(numSlots, d).concat(zeroRow, 0);
        NDArray gathered =
                padded.get(new NDIndex("{}", plan.getPairSlots().flatten())).reshape(n, k, d);
        NDArray keptWeights = weights.mul(plan.getKept().toType(weights.getDataType(), false));
        return gathered.mul(keptWeights.expandDims(2)).sum(new int[] {1});
    }

    /**
     * Returns the dropless path setting of this dispatcher.
     *
     * @return the configured path
     */
    public DroplessPath getDroplessPath() {
        return droplessPath;
    }

    /**
     * Whether a dropless plan runs only the {@code used} occupied experts (see {@link
     * DroplessPath}).
     */
    private boolean usesOccupiedGrid(int numExperts, int used, int capacity) {
        switch (droplessPath) {
            case PADDED:
                return false;
            case OCCUPIED:
                return true;
            default:
                return used < numExperts
                        && (long) used * (capacity + GATHER_ROWS_PER_EXPERT)
                                <= (long) numExperts * capacity;
        }
    }

    /**
     * Runs the experts on the planned slots and combines their outputs: {@link #dispatch}, the
     * experts on [E or U, capacity, d] (only the occupied experts, their weights gathered, when the
     * plan says so), and {@link #combine}. Every path computes {@code y[t] = sum_j kept[t, j] *
     * weights[t, j] * expert_{e(t, j)}(x[t])}. Gradients flow to {@code x}, {@code weights} and the
     * expert parameters.
     *
     * @param x the tokens, shape [N, d]
     * @param weights the combine weights, shape [N, k]
     * @param plan the plan from {@link #plan}
     * @param experts the experts
     * @param parameterStore the parameter store holding the expert weights
     * @param training whether this is a training pass
     * @return the combined outputs, shape [N, d]
     */
    public NDArray forward(
            NDArray x,
            NDArray weights,
            DispatchPlan plan,
            StackedExperts experts,
            ParameterStore parameterStore,
            boolean training) {
        NDArray slots = dispatch(x, plan);
        NDArray outputs = experts.apply(parameterStore, slots, training, plan.getOccupiedExperts());
        return combine(outputs, weights, plan);
    }

    /** The builder for a {@link TokenDispatcher}. */
    public static final class Builder {

        private float capacityFactor;
        private boolean batchPrioritized = true;
        private DroplessPath droplessPath = DroplessPath.AUTO;

        Builder() {}

        /**
         * Sets how dropless mode runs the experts (default {@link DroplessPath#AUTO}, chosen by
         * shape).
         *
         * @param path the path
         * @return this builder
         */
        public Builder optDroplessPath(DroplessPath path) {
            if (path == null) {
                throw new IllegalArgumentException("droplessPath must not be null");
            }
            this.droplessPath = path;
            return this;
        }

        /**
         * Sets the capacity factor C; C &lt;= 0 means dropless (the default, 0).
         *
         * @param capacityFactor the capacity factor (finite)
         * @return this builder
         */
        public Builder optCapacityFactor(float capacityFactor) {
            this.capacityFactor = capacityFactor;
            return this;
        }

        /**
         * Sets whether tokens are prioritized by their top combine weight (batch prioritized
         * routing); defaults to true.
         *
         * @param batchPrioritized whether to use batch prioritized routing
         * @return this builder
         */
        public Builder optBatchPrioritized(boolean batchPrioritized) {
            this.batchPrioritized = batchPrioritized;
            return this;
        }

        /**
         * Builds the dispatcher.
         *
         * @return a new dispatcher
         * @throws IllegalArgumentException if the capacity factor is NaN or infinite
         */
        public TokenDispatcher build() {
            if (Float.isNaN(capacityFactor) || Float.isInfinite(capacityFactor)) {
                throw new IllegalArgumentException(
                        "capacityFactor must be finite (> 0 for capacity mode, <= 0 for dropless),"
                                + " got "
                                + capacityFactor);
            }
            return new TokenDispatcher(this);
        }
    }
}
