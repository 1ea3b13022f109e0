package io.github.moge.core.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.moge.core.routing.RoutingResult;
import java.util.Arrays;

/**
 * Routing diagnostics accumulated over batches: per-expert token counts, the fraction of dropped
 * assignments, and the mean routing map (the mean of z = softmax(h) over all routed tokens).
 *
 * <p>This is a diagnostic, not a hot-path component: every {@link #update} reduces the batch on the
 * device to a few vectors of length E and reads them to the host, which synchronises with the
 * device. Intermediate arrays live in a sub-manager that is closed before {@code update} returns,
 * so nothing accumulates in the caller's manager. Counts are exact (64-bit integers); sums of z are
 * accumulated in double precision. Instances are not thread-safe.
 */
public final class RoutingStatistics {

    private final int numExperts;
    private final long[] tokenCounts;
    private final double[] routingInputSum;
    private long assignments;
    private long droppedAssignments;
    private long tokens;
    private long batches;

    private RoutingStatistics(int numExperts) {
        this.numExperts = numExperts;
        this.tokenCounts = new long[numExperts];
        this.routingInputSum = new double[numExperts];
    }

    /**
     * Creates empty statistics for E experts.
     *
     * @param numExperts the number of experts E, &gt;= 1
     * @return the statistics, with nothing accumulated
     * @throws IllegalArgumentException if {@code numExperts} &lt; 1
     */
    public static RoutingStatistics create(int numExperts) {
        if (numExperts < 1) {
            throw new IllegalArgumentException("numExperts must be >= 1, got " + numExperts);
        }
        return new RoutingStatistics(numExperts);
    }

    /**
     * Adds one batch. Reads small vectors (length E) and two counts to the host.
     *
     * @param routing the routing result of the batch, with E equal to {@link #getNumExperts()}
     * @param keptOrNull a boolean mask [N, k] aligned with {@link RoutingResult#getExperts()}, true
     *     where the assignment got a capacity slot; {@code null} when nothing was dropped (dropless
     *     routing)
     * @throws IllegalArgumentException if the number of experts differs, or the mask is not a
     *     boolean array of the experts' shape
     */
    public void update(RoutingResult routing, NDArray keptOrNull) {
        if (routing == null) {
            throw new IllegalArgumentException("routing must not be null");
        }
        NDArray experts = routing.getExperts();
        NDArray z = routing.getRoutingInput();
        Shape zShape = z.getShape();
        if (zShape.dimension() != 2 || zShape.get(1) != numExperts) {
            throw new IllegalArgumentException(
                    "routingInput must have shape [N, "
                            + numExperts
                            + "] (numExperts), got "
                            + zShape);
        }
        Shape expertsShape = experts.getShape();
        if (expertsShape.dimension() != 2 || expertsShape.get(0) != zShape.get(0)) {
            throw new IllegalArgumentException(
                    "experts must have shape [N, k] with N = "
                            + zShape.get(0)
                            + ", got "
                            + expertsShape);
        }
        if (keptOrNull != null) {
            if (!keptOrNull.getShape().equals(expertsShape)) {
                throw new IllegalArgumentException(
                        "kept must have the experts' shape "
                                + expertsShape
                                + ", got "
                                + keptOrNull.getShape());
            }
            if (keptOrNull.getDataType() != DataType.BOOLEAN) {
                throw new IllegalArgumentException(
                        "kept must be a boolean mask, got " + keptOrNull.getDataType());
            }
        }
        long n = zShape.get(0);
        long batchAssignments = expertsShape.size();
        long[] counts;
        long kept;
        double[] zSum;
        try (NDManager sub = NDManager.subManagerOf(experts)) {
            experts.tempAttach(sub);
            z.tempAttach(sub);
            NDArray oneHot = experts.reshape(-1).oneHot(numExperts, DataType.INT64);
            if (keptOrNull != null) {
                keptOrNull.tempAttach(sub);
                NDArray mask = keptOrNull.reshape(-1, 1).toType(DataType.INT64, false);
                oneHot = oneHot.mul(mask);
                kept = mask.sum().getLong();
            } else {
                kept = batchAssignments;
            }
            counts = oneHot.sum(new int[] {0}).toLongArray();
            zSum =
                    z.stopGradient()
                            .toType(DataType.FLOAT64, false)
                            .sum(new int[] {0})
                            .toDoubleArray();
        }
        for (int i = 0; i < numExperts; i++) {
            tokenCounts[i] += counts[i];
            routingInputSum[i] += zSum[i];
        }
        assignments += batchAssignments;
        droppedAssignments += batchAssignments - kept;
        tokens += n;
        batches++;
    }

    /**
     * Returns the number of kept assignments per expert (all k choices of every token count).
     *
     * @return a copy, length E
     */
    public long[] getTokenCounts() {
        return tokenCounts.clone();
    }

    /**
     * Returns the fraction of the N k assignments that were dropped for lack of capacity.
     *
     * @return dropped / all assignments, in [0, 1]; 0 before the first update
     */
    public double getDroppedFraction() {
        return assignments == 0 ? 0.0 : (double) droppedAssignments / assignments;
    }

    /**
     * Returns the mean routing input: the mean of z over all tokens seen, one value per expert.
     *
     * @return a new array of length E; all zeros before the first update
     */
    public float[] getMeanRoutingInput() {
        float[] mean = new float[numExperts];
        if (tokens > 0) {
            for (int i = 0; i < numExperts; i++) {
                mean[i] = (float) (routingInputSum[i] / tokens);
            }
        }
        return mean;
    }

    /**
     * Returns the mean routing input as a rows x cols map, in row-major order (expert r * cols + c
     * at row r, column c), the layout of the topographic map.
     *
     * @param rows the number of map rows, &gt;= 1
     * @param cols the number of map columns, &gt;= 1, with rows * cols = E
     * @return a new rows x cols array
     * @throws IllegalArgumentException if rows or cols is &lt; 1 or rows * cols differs from E
     */
    public float[][] getMeanRoutingMap(int rows, int cols) {
        if (rows < 1 || cols < 1 || (long) rows * cols != numExperts) {
            throw new IllegalArgumentException(
                    "rows and cols must be >= 1 with rows * cols = numExperts = "
                            + numExperts
                            + ", got rows = "
                            + rows
                            + ", cols = "
                            + cols);
        }
        float[] mean = getMeanRoutingInput();
        float[][] map = new float[rows][];
        for (int r = 0; r < rows; r++) {
            map[r] = Arrays.copyOfRange(mean, r * cols, (r + 1) * cols);
        }
        return map;
    }

    /**
     * Returns the number of experts that received at least one kept assignment.
     *
     * @return a count in [0, E]
     */
    public int getActiveExperts() {
        int active = 0;
        for (long c : tokenCounts) {
            if (c > 0) {
                active++;
            }
        }
        return active;
    }

    /**
     * Returns the number of experts E.
     *
     * @return E
     */
    public int getNumExperts() {
        return numExperts;
    }

    /**
     * Returns the number of tokens seen since the last reset.
     *
     * @return the token count
     */
    public long getNumTokens() {
        return tokens;
    }

    /**
     * Returns the number of batches added since the last reset.
     *
     * @return the batch count
     */
    public long getNumBatches() {
        return batches;
    }

    /** Clears everything accumulated. */
    public void reset() {
        Arrays.fill(tokenCounts, 0);
        Arrays.fill(routingInputSum, 0);
        assignments = 0;
        droppedAssignments = 0;
        tokens = 0;
        batches = 0;
    }
}
