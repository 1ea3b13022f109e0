package io.github.moge.core.dispatch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.moge.core.dispatch.TokenDispatcher.ExpertPath;

/**
 * Where every (token, choice) assignment of a batch goes: a slot among the plan's {@link
 * #getNumSlots() slots}, laid out by its {@link #getPath() path}.
 *
 * <p>On the padded and occupied paths the slots are a grid of R x capacity, R being E or, when only
 * the occupied experts run, their number U ({@link #getOccupiedExperts} lists them): slot index
 * {@code s = row * capacity + position}, where row is the expert (or its rank among the occupied
 * experts) and position counts the assignments that expert received before this one in fill order.
 * On the grouped path the slots are the M kept assignments in expert order, without padding: expert
 * e's kept assignments fill rows {@code start(e) + position}, {@code start(e)} the sum of the
 * lengths of the segments before it ({@link #getSegments}).
 *
 * <p>Assignments whose position is at least the capacity are dropped and point at the sentinel slot
 * one past the last; empty slots hold the sentinel token N. Both sentinels address an extra zero
 * row that {@link TokenDispatcher} appends before gathering, so they read zeros.
 *
 * <p>Produced by {@link TokenDispatcher#plan}; all arrays live on the manager and device of the
 * routed expert indices. Index arrays are int64 and carry no gradient.
 */
public final class DispatchPlan {

    private final ExpertPath path;
    private final NDArray slotTokens;
    private final NDArray pairSlots;
    private final NDArray kept;
    private final NDArray expertCounts;
    private final NDArray occupiedExperts;
    private final long[] segments;
    private final int slotExperts;
    private final int capacity;
    private final int numExperts;
    private final int numTokens;
    private final int topK;

    DispatchPlan(
            ExpertPath path,
            NDArray slotTokens,
            NDArray pairSlots,
            NDArray kept,
            NDArray expertCounts,
            NDArray occupiedExperts,
            long[] segments,
            int slotExperts,
            int capacity,
            int numExperts,
            int numTokens,
            int topK) {
        this.path = path;
        this.slotTokens = slotTokens;
        this.pairSlots = pairSlots;
        this.kept = kept;
        this.expertCounts = expertCounts;
        this.occupiedExperts = occupiedExperts;
        this.segments = segments;
        this.slotExperts = slotExperts;
        this.capacity = capacity;
        this.numExperts = numExperts;
        this.numTokens = numTokens;
        this.topK = topK;
    }

    /**
     * Returns the path the experts run on for this plan: {@link ExpertPath#PADDED}, {@link
     * ExpertPath#OCCUPIED} or {@link ExpertPath#GROUPED} (never {@link ExpertPath#AUTO}, which
     * resolves to one of them when the plan is made).
     *
     * @return the resolved path
     */
    public ExpertPath getPath() {
        return path;
    }

    /**
     * Returns the number of slots: R * capacity on a grid, M (the kept assignments) on the grouped
     * path.
     *
     * @return the number of slots
     */
    public long getNumSlots() {
        return slotTokens.size();
    }

    /**
     * Returns the grouped path's segment lengths: how many of the M rows each expert owns, in
     * expert order (its kept assignments; 0 for an empty expert); null on the other paths.
     *
     * @return a new array of E lengths, or null
     */
    public long[] getSegments() {
        return segments == null ? null : segments.clone();
    }

    /**
     * Returns, for each slot, the token that fills it, or N for an empty slot.
     *
     * @return an int64 array of shape [{@link #getNumSlots()}]
     */
    public NDArray getSlotTokens() {
        return slotTokens;
    }

    /**
     * Returns the slot of each (token, choice) assignment, or {@link #getNumSlots()} when it was
     * dropped.
     *
     * @return an int64 array of shape [N, k]
     */
    public NDArray getPairSlots() {
        return pairSlots;
    }

    /**
     * Returns whether each (token, choice) assignment was kept (true) or dropped for lack of
     * capacity.
     *
     * @return a boolean array of shape [N, k]
     */
    public NDArray getKept() {
        return kept;
    }

    /**
     * Returns the experts that own the rows of the slot grid when only occupied experts run, in
     * ascending order; null when the grid has a row for every expert.
     *
     * @return an int64 array of shape [U], or null
     */
    public NDArray getOccupiedExperts() {
        return occupiedExperts;
    }

    /**
     * Returns the number of expert rows of the slot grid: E, or U when only occupied experts run (E
     * on the grouped path, whose segments may be empty).
     *
     * @return the number of slot rows
     */
    public int getNumSlotExperts() {
        return slotExperts;
    }

    /**
     * Returns the number of slots per expert.
     *
     * @return the capacity
     */
    public int getCapacity() {
        return capacity;
    }

    /**
     * Returns the number of experts E.
     *
     * @return the number of experts
     */
    public int getNumExperts() {
        return numExperts;
    }

    /**
     * Returns the number of tokens N.
     *
     * @return the number of tokens
     */
    public int getNumTokens() {
        return numTokens;
    }

    /**
     * Returns k, the number of choices per token.
     *
     * @return the top-k
     */
    public int getTopK() {
        return topK;
    }

    /**
     * Returns how many assignments each expert received before capacity was applied.
     *
     * @return an int64 array of shape [E]
     */
    public NDArray requestsPerExpert() {
        return expertCounts;
    }

    /**
     * Returns how many assignments each expert kept (its requests, capped at the capacity).
     *
     * @return an int64 array of shape [E]
     */
    public NDArray tokensPerExpert() {
        return expertCounts.minimum(capacity);
    }

    /**
     * Returns the share of the N * k assignments that were dropped, as a float32 scalar on the
     * device.
     *
     * @return the dropped fraction in [0, 1]
     */
    public NDArray droppedFraction() {
        long total = (long) numTokens * topK;
        if (total == 0) {
            return expertCounts.sum().toType(DataType.FLOAT32, false).mul(0);
        }
        return tokensPerExpert().sum().neg().add(total).toType(DataType.FLOAT32, false).div(total);
    }
}
