package io.github.moge.core.dispatch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.experts.StackedExperts;
import io.github.moge.core.ops.RowGather;
import java.util.Arrays;

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
 * number of assignments any expert received, so nothing is dropped.
 *
 * <p><b>How the experts run</b> ({@link ExpertPath}): on a padded grid of E x capacity slots, on
 * the rows of the U occupied experts only (skewed routing, or fewer tokens than experts), or on the
 * M kept assignments sorted by expert without padding (grouped), so that the cost follows the
 * tokens rather than E x capacity. Choosing needs one device-to-host read of the E per-expert
 * counts, which dropless mode needs anyway for its capacity; in capacity mode it is made on the CPU
 * (where it costs no wait) and skipped on accelerators, which keep the padded grid. Nothing else in
 * this class synchronises with the host.
 *
 * <p>All intermediate arrays are created on the manager and device of the inputs, so they are freed
 * with them.
 *
 * <p>Its length is the two dispatch modes (capacity with batch prioritized routing, and dropless)
 * and the three expert paths kept together because they share the plan and the combine step.
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

    /**
     * Rows one occupied expert of the grouped path is worth: the fixed cost of its own products and
     * of its own weight gradients beside the batched products of the other paths. Calibrated with
     * {@code moge benchmark-layer --path} (docs/benchmarks.md): at N = 4096, d = 512, h = 1024 the
     * grouped path saved 10-15% over the padded grid at E = 16 to 128, about what 20-25 rows per
     * expert predict.
     */
    static final long GROUP_ROWS_PER_EXPERT = 24;

    /**
     * The most experts (E, occupied or not) for which AUTO considers the grouped path. Its backward
     * gives every occupied expert a weight gradient of its own before concatenating them into the
     * stacked gradient, and with many experts that costs time and resident memory beyond what the
     * row count says (docs/benchmarks.md, N = 4096, d = 512, h = 1024): at E = 128 the second of
     * two layers stepped in turn took twice the first's time, at E = 400 the layer took 4-10x the
     * padded grid's time (19 GB against 11 GB resident), and in the invariance step (E = 400, 19-87
     * experts occupied) the backward took 750-850 ms against the occupied grid's 25-40 ms. At E =
     * 16 and 32 it is the fastest path.
     */
    static final int MAX_GROUPED_EXPERTS = 32;

    private final float capacityFactor;
    private final boolean batchPrioritized;
    private final ExpertPath expertPath;

    TokenDispatcher(Builder builder) {
        this.capacityFactor = builder.capacityFactor;
        this.batchPrioritized = builder.batchPrioritized;
        this.expertPath = builder.expertPath;
    }

    /**
     * How the experts run on the planned assignments, in either mode. Every path computes the same
     * outputs and gradients; they differ in how many rows the expert products cover.
     */
    public enum ExpertPath {
        /**
         * The path with the fewest rows: {@link #PADDED} costs E x capacity rows, {@link #OCCUPIED}
         * U x (capacity + {@value #GATHER_ROWS_PER_EXPERT}) for U occupied experts, {@link
         * #GROUPED} M + U x {@value #GROUP_ROWS_PER_EXPERT} for M kept assignments (its loop over
         * experts is considered on the CPU only, where the engine runs eagerly and a small product
         * costs no kernel launch, and for at most {@value #MAX_GROUPED_EXPERTS} experts). In
         * capacity mode on an accelerator it is always {@link #PADDED}, which needs no host read.
         */
        AUTO,
        /** Every expert on capacity slots [E, capacity, d]: cost follows E x capacity. */
        PADDED,
        /**
         * Only the U experts that received tokens, on slots [U, capacity, d], with their weights
         * gathered: cost follows U x capacity. With expert dropout the masks are drawn over this
         * smaller grid, so the random draws differ from {@link #PADDED}'s.
         */
        OCCUPIED,
        /**
         * The kept assignments sorted by expert into M rows without padding, each occupied expert's
         * products on its own contiguous segment: cost follows M, plus one pair of matrix products
         * per occupied expert. Expert dropout draws its masks per segment, so the random draws
         * differ from {@link #PADDED}'s. With many experts (hundreds) it is slower than the other
         * paths and holds far more memory (see {@link #AUTO}'s limit); chosen explicitly it still
         * runs.
         */
        GROUPED
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

        int capacity = capacityFactor > 0f ? capacity(n, numExperts, k, capacityFactor) : 0;
        long[] counts = null;
        if (n > 0 && (capacityFactor <= 0f || readsCountsInCapacityMode(device))) {
            // The single host read of this class: every expert's number of assignments.
            counts = expertCounts.toLongArray();
            if (capacityFactor <= 0f) {
                capacity = Math.toIntExact(Arrays.stream(counts).max().orElse(0));
            }
        }
        ExpertPath path = counts == null ? ExpertPath.PADDED : choosePath(counts, capacity, device);

        NDArray slot;
        long numSlots;
        int slotExperts = numExperts;
        NDArray occupiedExperts = null;
        long[] segments = null;
        if (path == ExpertPath.GROUPED) {
            // Expert e's kept assignments take rows start[e] .. start[e] + kept[e] - 1.
            segments = new long[numExperts];
            numSlots = 0;
            for (int e = 0; e < numExperts; e++) {
                segments[e] = Math.min(counts[e], capacity);
                numSlots += segments[e];
            }
            NDArray keptCounts = expertCounts.minimum(capacity);
            NDArray start = keptCounts.cumSum(0).sub(keptCounts);
            slot = start.get(new NDIndex("{}", chosen.flatten())).reshape(n, k).add(position);
        } else if (path == ExpertPath.OCCUPIED) {
            // Expert e's slots become row rank(e) of a grid of the occupied experts only.
            NDArray occupied = expertCounts.gt(0);
            occupiedExperts = occupied.nonzero().flatten();
            NDArray rank = occupied.toType(DataType.INT64, false).cumSum(0).sub(1);
            NDArray slotExpert = rank.get(new NDIndex("{}", chosen.flatten())).reshape(n, k);
            slotExperts = Math.toIntExact(Arrays.stream(counts).filter(c -> c > 0).count());
            numSlots = (long) slotExperts * capacity;
            slot = slotExpert.mul(capacity).add(position);
        } else {
            numSlots = (long) numExperts * capacity;
            slot = chosen.mul(capacity).add(position);
        }
        if (numSlots > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "E * capacity = " + numSlots + " slots exceeds Integer.MAX_VALUE");
        }

        NDArray kept = position.lt(capacity);
        NDArray dropped = kept.logicalNot().toType(DataType.INT64, false);
        // Dropped assignments point at the sentinel slot, one past the last.
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
                path,
                slotTokens,
                pairSlots,
                kept,
                expertCounts,
                occupiedExperts,
                segments,
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
     * @return the expert inputs, shape [R, capacity, d], or [M, d] on the grouped path (see {@link
     *     DispatchPlan})
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
        if (plan.getPath() == ExpertPath.GROUPED) {
            return gathered;
        }
        return gathered.reshape(plan.getNumSlotExperts(), plan.getCapacity(), d);
    }

    /**
     * Combines the expert outputs into one output per token: {@code y[t] = sum_j kept[t, j] *
     * weights[t, j] * out[slot(t, j)]}. Dropped assignments contribute zero. Gradients flow to
     * {@code expertOutputs} and {@code weights}.
     *
     * @param expertOutputs the expert outputs, in the shape {@link #dispatch} returned
     * @param weights the combine weights, shape [N, k]
     * @param plan the plan from {@link #plan}
     * @return the combined outputs, shape [N, d]
     */
    public NDArray combine(NDArray expertOutputs, NDArray weights, DispatchPlan plan) {
        Shape shape = expertOutputs.getShape();
        int n = plan.getNumTokens();
        int k = plan.getTopK();
        boolean grouped = plan.getPath() == ExpertPath.GROUPED;
        if (grouped
                ? shape.dimension() != 2 || shape.get(0) != plan.getNumSlots()
                : shape.dimension() != 3
                        || shape.get(0) != plan.getNumSlotExperts()
                        || shape.get(1) != plan.getCapacity()) {
            throw new IllegalArgumentException(
                    "expertOutputs must have shape "
                            + (grouped
                                    ? "[M=" + plan.getNumSlots()
                                    : "[E="
                                            + plan.getNumSlotExperts()
                                            + ", capacity="
                                            + plan.getCapacity())
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
        long d = shape.get(shape.dimension() - 1);
        long numSlots = plan.getNumSlots();
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
     * Returns the expert path setting of this dispatcher.
     *
     * @return the configured path
     */
    public ExpertPath getExpertPath() {
        return expertPath;
    }

    /**
     * Whether a capacity-mode plan reads the per-expert counts to the host: always for {@link
     * ExpertPath#OCCUPIED} and {@link ExpertPath#GROUPED}, for {@link ExpertPath#AUTO} on the CPU
     * only (where a read costs no wait, as the engine runs eagerly), never for {@link
     * ExpertPath#PADDED}.
     */
    private boolean readsCountsInCapacityMode(Device device) {
        switch (expertPath) {
            case PADDED:
                return false;
            case AUTO:
                return isCpu(device);
            default:
                return true;
        }
    }

    private static boolean isCpu(Device device) {
        return Device.Type.CPU.equals(device.getDeviceType());
    }

    /**
     * The path a plan with these per-expert counts runs: the configured one, or for {@link
     * ExpertPath#AUTO} the one with the fewest rows in the cost model of {@link ExpertPath}.
     */
    private ExpertPath choosePath(long[] counts, int capacity, Device device) {
        if (expertPath != ExpertPath.AUTO) {
            return expertPath;
        }
        long used = 0;
        long kept = 0;
        for (long count : counts) {
            used += count > 0 ? 1 : 0;
            kept += Math.min(count, capacity);
        }
        long padded = (long) counts.length * capacity;
        long occupied = used * (capacity + GATHER_ROWS_PER_EXPERT);
        long grouped = kept + used * GROUP_ROWS_PER_EXPERT;
        if (isCpu(device)
                && counts.length <= MAX_GROUPED_EXPERTS
                && grouped < Math.min(padded, occupied)) {
            return ExpertPath.GROUPED;
        }
        return used < counts.length && occupied <= padded ? ExpertPath.OCCUPIED : ExpertPath.PADDED;
    }

    /**
     * Runs the experts on the planned slots and combines their outputs: {@link #dispatch}, the
     * experts on [E or U, capacity, d] (only the occupied experts, their weights gathered, when the
     * plan says so) or on the M grouped rows segment by segment, and {@link #combine}. Every path
     * computes {@code y[t] = sum_j kept[t, j] * weights[t, j] * expert_{e(t, j)}(x[t])}. Gradients
     * flow to {@code x}, {@code weights} and the expert parameters.
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
        NDArray outputs =
                plan.getPath() == ExpertPath.GROUPED
                        ? experts.applyGrouped(parameterStore, slots, plan.getSegments(), training)
                        : experts.apply(parameterStore, slots, training, plan.getOccupiedExperts());
        return combine(outputs, weights, plan);
    }

    /** The builder for a {@link TokenDispatcher}. */
    public static final class Builder {

        private float capacityFactor;
        private boolean batchPrioritized = true;
        private ExpertPath expertPath = ExpertPath.AUTO;

        Builder() {}

        /**
         * Sets how the experts run on the planned assignments (default {@link ExpertPath#AUTO},
         * chosen by the batch's per-expert counts).
         *
         * @param path the path
         * @return this builder
         */
        public Builder optExpertPath(ExpertPath path) {
            if (path == null) {
                throw new IllegalArgumentException("expertPath must not be null");
            }
            this.expertPath = path;
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
