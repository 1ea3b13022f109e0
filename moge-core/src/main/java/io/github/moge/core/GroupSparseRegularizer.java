package io.github.moge.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.moge.core.ops.ScalarOps;

/**
 * The Gaussian group-sparse regularizer of MoGE on the topographic map of the routing input.
 *
 * <p>For routing inputs z_t (softmax over all E experts, one row per token) reshaped row-major into
 * the m x n map Z_t, and the normalised f x f Gaussian kernel G of width sigma:
 *
 * <pre>
 *   S_t  = conv2d_valid(Z_t^2, G)
 *   L_gs = 1 / (f^2 P) * sum_t sum_{i,j} sqrt(S_t[i,j] + 1e-8),   P = (m - f + 1)(n - f + 1)
 * </pre>
 *
 * <p>It is a sum over the tokens of the batch, not a mean, and carries no weight lambda: the
 * training loss applies that. The Gaussian is separable, so the convolution runs as two matrix
 * products with small banded matrices of the 1-D Gaussian, rebuilt from sigma on the input's device
 * at every call with a few array operations (no host-to-device copy), because sigma changes every
 * step under a {@link SigmaSchedule}.
 */
public final class GroupSparseRegularizer {

    /**
     * Added under the square root so its gradient stays finite where a neighbourhood is all zero.
     */
    public static final double EPSILON = 1e-8;

    private final TopographicMap map;
    private final int filterSize;

    private GroupSparseRegularizer(Builder builder) {
        this.map = builder.map;
        this.filterSize = builder.filterSize;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the topographic map the routing input is reshaped into} */
    public TopographicMap getMap() {
        return map;
    }

    /** {@return the filter size f} */
    public int getFilterSize() {
        return filterSize;
    }

    /**
     * Computes L_gs for a batch of routing inputs.
     *
     * @param routingInput z, shape [N, E] (float32 or float64); gradients flow back through it
     * @param sigma the width of the Gaussian kernel, &gt; 0
     * @return the scalar L_gs (without lambda), same data type as the input
     */
    public NDArray compute(NDArray routingInput, float sigma) {
        Shape shape = routingInput.getShape();
        if (shape.dimension() != 2 || shape.get(1) != map.size()) {
            throw new IllegalArgumentException(
                    "routing input must have shape [N, "
                            + map.size()
                            + "] for a "
                            + map
                            + " map, got "
                            + shape);
        }
        if (!(sigma > 0) || Float.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
        }
        long tokens = shape.get(0);
        int rows = map.rows();
        int cols = map.cols();
        int outRows = rows - filterSize + 1;
        int outCols = cols - filterSize + 1;
        NDManager manager = routingInput.getManager();
        DataType type = routingInput.getDataType();
        // The normalised Gaussian is separable, G = g g^T with g the normalised 1-D Gaussian, so
        // the valid
        // convolution of every map is A_r Z^2 A_c^T with banded matrices A_r [m', m] and A_c [n',
        // n]. Laid out
        // as two large matrix products (the sum below does not care about the order of tokens and
        // positions),
        // this is much cheaper than a one-channel conv2d and needs no unfolded copy of the maps.
        NDArray squared =
                routingInput
                        .square()
                        .reshape(tokens, rows, cols)
                        .transpose(1, 0, 2)
                        .reshape(rows, tokens * cols); // [m, N n]
        NDArray alongRows = band(manager, outRows, rows, sigma, type).matMul(squared); // [m', N n]
        NDArray smoothed =
                alongRows
                        .reshape((long) outRows * tokens, cols)
                        .matMul(
                                band(manager, outCols, cols, sigma, type)
                                        .transpose()); // [m' N, n']
        double scale = 1.0 / ((double) filterSize * filterSize * map.validPositions(filterSize));
        return ScalarOps.mul(smoothed.add(EPSILON).sqrt().sum(), scale);
    }

    /**
     * Returns the banded matrix B [out, in] with B[i, i + a] = g(a - floor(f/2)) for a in 0..f-1, g
     * the 1-D Gaussian normalised to sum 1: one axis of the separable valid convolution.
     */
    private NDArray band(NDManager manager, int out, int in, float sigma, DataType type) {
        NDArray offset =
                manager.arange(0f, in, 1f, type)
                        .reshape(1, in)
                        .sub(manager.arange(0f, out, 1f, type).reshape(out, 1)); // column - row
        NDArray inWindow = offset.gte(0).logicalAnd(offset.lt(filterSize)).toType(type, false);
        NDArray taps = manager.arange(0f, filterSize, 1f, type).sub(filterSize / 2).square();
        double twoSigmaSquared = 2.0 * (double) sigma * sigma;
        NDArray norm = taps.mul(-1.0 / twoSigmaSquared).exp().sum();
        NDArray centred = offset.sub(filterSize / 2).square();
        return centred.mul(-1.0 / twoSigmaSquared).exp().mul(inWindow).div(norm);
    }

    /**
     * Returns the normalised f x f Gaussian kernel G(u, v) = exp(-(u^2 + v^2) / (2 sigma^2)) / sum,
     * with offsets u, v in {0..f-1} - floor(f/2), as an array [f, f] on the given manager's device.
     *
     * @param manager where to create the kernel
     * @param sigma the width, &gt; 0
     * @param dataType the floating-point type of the kernel
     * @return the kernel
     */
    public NDArray kernel(NDManager manager, float sigma, DataType dataType) {
        NDArray offsets = manager.arange(0f, filterSize, 1f, dataType).sub(filterSize / 2).square();
        NDArray squaredDistance =
                offsets.reshape(filterSize, 1).add(offsets.reshape(1, filterSize));
        NDArray gaussian = squaredDistance.mul(-1.0 / (2.0 * (double) sigma * sigma)).exp();
        return gaussian.div(gaussian.sum());
    }

    /** Builds a {@link GroupSparseRegularizer}. */
    public static final class Builder {

        private int experts;
        private TopographicMap map;
        private int mapRows;
        private int mapCols;
        private int filterSize = 3;

        Builder() {}

        /**
         * Sets the number of experts E; the map is {@link TopographicMap#forExperts(int)} unless
         * {@link #optMapShape(int, int)} is given.
         *
         * @param experts E, at least 1
         * @return this builder
         */
        public Builder setExperts(int experts) {
            if (experts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + experts);
            }
            this.experts = experts;
            return this;
        }

        /**
         * Sets an explicit map shape; rows * cols must equal the number of experts.
         *
         * @param rows map rows m, at least 1
         * @param cols map columns n, at least 1
         * @return this builder
         */
        public Builder optMapShape(int rows, int cols) {
            if (rows < 1 || cols < 1) {
                throw new IllegalArgumentException(
                        "map rows and cols must be >= 1, got " + rows + " x " + cols);
            }
            this.mapRows = rows;
            this.mapCols = cols;
            return this;
        }

        /**
         * Sets the filter size f (default 3, the value of every published setting).
         *
         * @param filterSize f, at least 1
         * @return this builder
         */
        public Builder optFilterSize(int filterSize) {
            if (filterSize < 1) {
                throw new IllegalArgumentException("filterSize must be >= 1, got " + filterSize);
            }
            this.filterSize = filterSize;
            return this;
        }

        /**
         * Builds the regularizer.
         *
         * @return the regularizer
         * @throws IllegalArgumentException if experts is unset, the map shape does not match E, or
         *     the map cannot hold the filter
         */
        public GroupSparseRegularizer build() {
            if (experts < 1) {
                throw new IllegalArgumentException("experts must be set (>= 1) before build()");
            }
            if (mapRows > 0) {
                if (mapRows * mapCols != experts) {
                    throw new IllegalArgumentException(
                            "map shape "
                                    + mapRows
                                    + " x "
                                    + mapCols
                                    + " holds "
                                    + mapRows * mapCols
                                    + " cells but experts is "
                                    + experts
                                    + ": rows * cols must equal experts");
                }
                map = TopographicMap.of(mapRows, mapCols);
            } else {
                map = TopographicMap.forExperts(experts);
            }
            map.requireFits(filterSize);
            return new GroupSparseRegularizer(this);
        }
    }
}
