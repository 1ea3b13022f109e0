package io.github.moge.core.dispatch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.experts.StackedExperts;

/**
 * Moves routed tokens into fixed-size expert slots and combines the expert outputs back, fully vectorised
 * with NDArray operations (no loops over tokens).
 *
 * <p><b>Capacity mode</b> ({@code capacityFactor > 0}): each expert has
 * {@link #capacity(int, int, int, float) k * ceil(C * N / E)} slots. Assignments are placed choice-major:
 * all tokens' first choices before any token's second choice, and so on. Within one choice, tokens come in
 * priority order: with batch prioritized routing (BPR, the default) by their top combine weight
 * {@code weights[:, 0]}, highest first; otherwise in token order. Each expert's slots fill in that order
 * and assignments beyond an expert's capacity are dropped (they contribute zero; the residual connection
 * carries those tokens). Tokens with exactly equal top weights keep their token order (lower index
 * first), although the engine's sort itself is not stable.
 *
 * <p><b>Dropless mode</b> ({@code capacityFactor <= 0}, the default): the capacity is the largest number of
 * assignments any expert received, so nothing is dropped. Finding it needs one device-to-host read of a
 * scalar (the maximum of the length-E count vector); nothing else in this class synchronises with the
 * host.
 *
 * <p>All intermediate arrays are created on the manager and device of the inputs, so they are freed with
 * them.
 */
public final class TokenDispatcher {

    /** Relative tie-break step per token index (2^-50), see {@link #priorityOrder}. */
    private static final double TIE_RELATIVE = Math.scalb(1.0, -50);
    /** Absolute tie-break step per token index (2^-1000), separates equal zero weights. */
    private static final double TIE_ABSOLUTE = Math.scalb(1.0, -1000);

    /**
     * Largest gathered weight copy of the gathered path, in elements (N * k * d * h): 2^26 floats, 256 MB
     * per layer matrix; beyond it the padded path runs.
     */
    static final long MAX_GATHERED_ELEMENTS = 1L << 26;
    /**
     * Padded slots per assignment above which the gathered path wins. Its per-assignment products are
     * matrix-vector products, bound by memory, so they must replace this many padded rows of the
     * compute-bound batched product to pay off (measured with {@code moge benchmark-step}).
     */
    static final long GATHER_BREAK_EVEN = 8;

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
        /** Chooses by shape: gathered when padding would cost more than it saves, padded otherwise. */
        AUTO,
        /** Every expert on max-count slots [E, max count, d]: cost follows E x max count. */
        PADDED,
        /**
         * Each assignment multiplies its own expert's weights, gathered per assignment: cost follows the
         * N * k assignments, memory N * k * d * h per layer.
         */
        GATHERED
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
                    "capacityFactor must be finite and > 0 (dropless mode has no fixed capacity), got "
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
     * Returns whether tokens are prioritized by their top combine weight (BPR) rather than token order.
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
     * @param weights the combine weights, shape [N, k], largest first; only column 0 is read, and only
     *     with batch prioritized routing (it may be null otherwise)
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
        NDArray position = positionInFill.reshape(k, n).transpose(); // [N, k], rows in priority order
        if (order != null) {
            NDArray inverse = order.argSort(0, true);
            position = position.get(new NDIndex("{}", inverse)); // back to token order
        }

        int capacity;
        if (capacityFactor > 0f) {
            capacity = capacity(n, numExperts, k, capacityFactor);
        } else {
            // The single host read of this class: the largest per-expert load.
            capacity = n == 0 ? 0 : Math.toIntExact(expertCounts.max().getLong());
        }
        long numSlots = (long) numExperts * capacity;
        if (numSlots > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "E * capacity = " + numSlots + " slots exceeds Integer.MAX_VALUE");
        }

        NDArray kept = position.lt(capacity);
        NDArray dropped = kept.logicalNot().toType(DataType.INT64, false);
        NDArray slot = chosen.mul(capacity).add(position);
        // Dropped assignments point at the sentinel slot E * capacity.
        NDArray pairSlots = slot.add(slot.neg().add(numSlots).mul(dropped));

        NDArray tokenIds =
                manager.arange(0f, (float) n, 1f, DataType.INT64, device)
                        .reshape(n, 1)
                        .repeat(1, k)
                        .flatten();
        NDArray buffer = manager.zeros(new Shape(numSlots + 1), DataType.INT64, device).add(n);
        if (n > 0) {
            // Kept pairs write their token id; dropped pairs all write into the extra sentinel entry.
            buffer.set(new NDIndex("{}", pairSlots.flatten()), tokenIds);
        }
        NDArray slotTokens = buffer.get(new NDIndex().addSliceDim(0, numSlots));
        return new DispatchPlan(
                slotTokens, pairSlots, kept, expertCounts, chosen, capacity, numExperts, n, k);
    }

    /**
     * Returns the token indices sorted by descending top weight, ties broken by ascending token index.
     *
     * <p>The engine's sort is not stable (PyTorch scrambles equal keys), so the key is made strictly
     * decreasing in the token index for equal weights: in float64, {@code key = w - |w| * t * 2^-50 -
     * t * 2^-1000}. For N &lt; 2^24 the perturbation is far below the spacing of distinct float32 (or
     * lower-precision) weights, so it never reorders different weights; the additive term separates equal
     * zero weights.
     */
    private static NDArray priorityOrder(NDArray topWeights, NDManager manager, Device device) {
        long n = topWeights.getShape().get(0);
        if (n >= (1L << 24)) {
            throw new IllegalArgumentException(
                    "batch prioritized routing supports fewer than 2^24 tokens, got " + n);
        }
        NDArray w = topWeights.toType(DataType.FLOAT64, false);
        NDArray t = manager.arange(0f, (float) n, 1f, DataType.FLOAT64, device);
        NDArray key =
                w.sub(w.abs().mul(t.mul(TIE_RELATIVE))).sub(t.mul(TIE_ABSOLUTE));
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
        NDArray padded = x.concat(x.getManager().zeros(new Shape(1, d), x.getDataType(), x.getDevice()), 0);
        NDArray gathered = padded.get(new NDIndex("{}", plan.getSlotTokens()));
        return gathered.reshape(plan.getNumExperts(), plan.getCapacity(), d);
    }

    /**
     * Combines the expert outputs into one output per token: {@code y[t] = sum_j kept[t, j] * weights[t, j]
     * * out[slot(t, j)]}. Dropped assignments contribute zero. Gradients flow to {@code expertOutputs} and
     * {@code weights}.
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
                || shape.get(0) != plan.getNumExperts()
                || shape.get(1) != plan.getCapacity()) {
            throw new IllegalArgumentException(
                    "expertOutputs must have shape [E="
                            + plan.getNumExperts()
                            + ", capacity="
                            + plan.getCapacity()
                            + ", d], got "
                            + shape);
        }
        if (!weights.getShape().equals(new Shape(n, k))) {
            throw new IllegalArgumentException(
                    "weights must have shape [N=" + n + ", k=" + k + "], got " + weights.getShape());
        }
        long d = shape.get(2);
        long numSlots = (long) plan.getNumExperts() * plan.getCapacity();
        NDArray zeroRow =
                expertOutputs
                        .getManager()
                        .zeros(new Shape(1, d), expertOutputs.getDataType(), expertOutputs.getDevice());
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
     * Returns whether {@link #forward} runs the gathered path for this plan and expert shape.
     *
     * @param plan the plan
     * @param width the token width d
     * @param hidden the expert hidden width h
     * @return true for the gathered path, false for the padded one
     */
    public boolean usesGathered(DispatchPlan plan, long width, long hidden) {
        if (!isDropless() || droplessPath == DroplessPath.PADDED) {
            return false;
        }
        if (droplessPath == DroplessPath.GATHERED) {
            return true;
        }
        long assignments = (long) plan.getNumTokens() * plan.getTopK();
        long paddedSlots = (long) plan.getNumExperts() * plan.getCapacity();
        return assignments > 0
                && assignments * width * hidden <= MAX_GATHERED_ELEMENTS
                && paddedSlots >= GATHER_BREAK_EVEN * assignments;
    }

    /**
     * Runs the experts on the planned assignments and combines their outputs, by the padded path
     * ({@link #dispatch}, experts on [E, capacity, d], {@link #combine}) or, in dropless mode when
     * {@link #usesGathered} says so, by the gathered path. Both compute {@code y[t] = sum_j kept[t, j] *
     * weights[t, j] * expert_{e(t, j)}(x[t])}; they differ only in how the products are blocked (and in the
     * layout of dropout masks). Gradients flow to {@code x}, {@code weights} and the expert parameters.
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
        long width = x.getShape().get(x.getShape().dimension() - 1);
        if (!usesGathered(plan, width, experts.getHiddenSize())) {
            NDArray outputs = experts.apply(parameterStore, dispatch(x, plan), training);
            return combine(outputs, weights, plan);
        }
        int n = plan.getNumTokens();
        int k = plan.getTopK();
        if (x.getShape().dimension() != 2 || x.getShape().get(0) != n) {
            throw new IllegalArgumentException("x must have shape [N=" + n + ", d], got " + x.getShape());
        }
        if (!weights.getShape().equals(new Shape(n, k))) {
            throw new IllegalArgumentException(
                    "weights must have shape [N=" + n + ", k=" + k + "], got " + weights.getShape());
        }
        // Row t * k + j holds token t for its j-th choice; dropless keeps every assignment.
        NDArray inputs = k == 1 ? x : x.repeat(0, k);
        NDArray outputs =
                experts.applyPerAssignment(parameterStore, inputs, plan.getExperts().flatten(), training);
        return outputs.reshape(n, k, width).mul(weights.expandDims(2)).sum(new int[] {1});
    }

    /** The builder for a {@link TokenDispatcher}. */
    public static final class Builder {

        private float capacityFactor;
        private boolean batchPrioritized = true;
        private DroplessPath droplessPath = DroplessPath.AUTO;

        Builder() {}

        /**
         * Sets how dropless mode runs the experts (default {@link DroplessPath#AUTO}, chosen by shape).
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
         * Sets whether tokens are prioritized by their top combine weight (batch prioritized routing);
         * defaults to true.
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
                        "capacityFactor must be finite (> 0 for capacity mode, <= 0 for dropless), got "
                                + capacityFactor);
            }
            return new TokenDispatcher(this);
        }
    }
}
