package io.github.moge.core.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The IMage Euclidean Distance (IMED; Wang, Zhang and Feng, "On the Euclidean distance of images",
 * IEEE TPAMI 27(8), 2005) between routing maps on an m x n grid:
 *
 * <pre>
 *   d^2(a, b) = sum_{i,j} g_ij (a_i - b_i)(a_j - b_j),
 *   g_ij      = 1 / (2 pi s^2) exp(-|P_i - P_j|^2 / (2 s^2))
 * </pre>
 *
 * <p>with P_i the (row, column) position of cell i in a row-major map. Because |P_i - P_j|^2 is the
 * sum of the squared row and column offsets, the metric matrix is the Kronecker product of two 1-D
 * Gaussian matrices, G = R (x) C with R of size m x m and C of size n x n. For a difference map D
 * (m x n) the quadratic form is therefore sum(D * (R D C)) / (2 pi s^2): O(mn(m + n)) work instead
 * of O((mn)^2), and no (mn x mn) matrix is ever built. G is positive definite, so d^2 &gt;= 0 up to
 * rounding.
 */
public final class Imed {

    private final int rows;
    private final int cols;
    private final double sigma;
    private final double[][] rowKernel;
    private final double[][] colKernel;

    private Imed(Builder builder) {
        this.rows = builder.rows;
        this.cols = builder.cols;
        this.sigma = builder.sigma;
        this.rowKernel = gaussian(rows, sigma);
        this.colKernel = gaussian(cols, sigma);
    }

    /**
     * Returns a builder.
     *
     * @return a new builder (sigma 1 by default; rows and cols must be set)
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates IMED with the standard s = 1 on a rows x cols map.
     *
     * @param rows the number of map rows m, &gt;= 1
     * @param cols the number of map columns n, &gt;= 1
     * @return the distance
     * @throws IllegalArgumentException if rows or cols is &lt; 1
     */
    public static Imed of(int rows, int cols) {
        return builder().setRows(rows).setCols(cols).build();
    }

    /**
     * Returns the squared IMED of each pair of maps, batched and differentiable.
     *
     * @param a maps of shape [B, m * n] (or a single map [m * n]), row-major, floating point
     * @param b maps of the same shape and data type as {@code a}
     * @return d^2 of shape [B] (or [] for single maps), with the data type, manager and device of
     *     {@code a}
     * @throws IllegalArgumentException if the shapes differ, the last axis is not m * n, or the
     *     data type is not floating point
     */
    public NDArray squaredDistance(NDArray a, NDArray b) {
        Shape shape = a.getShape();
        if (!shape.equals(b.getShape())) {
            throw new IllegalArgumentException(
                    "a and b must have the same shape, got " + shape + " and " + b.getShape());
        }
        int cells = rows * cols;
        if (shape.dimension() < 1
                || shape.dimension() > 2
                || shape.get(shape.dimension() - 1) != cells) {
            throw new IllegalArgumentException(
                    "maps must have shape [B, rows * cols] or [rows * cols] with rows * cols = "
                            + cells
                            + ", got "
                            + shape);
        }
        DataType type = a.getDataType();
        if (!type.isFloating()) {
            throw new IllegalArgumentException("maps must be floating point, got " + type);
        }
        NDManager manager = a.getManager();
        // two small kernels (m x m and n x n) on the input's manager, data type and device;
        // the 1/(2 pi s^2) factor is folded into the row kernel
        double norm = 1.0 / (2 * Math.PI * sigma * sigma);
        NDArray r =
                manager.create(flatten(rowKernel, norm), new Shape(rows, rows))
                        .toType(type, false)
                        .toDevice(a.getDevice(), false);
        NDArray c =
                manager.create(flatten(colKernel, 1.0), new Shape(cols, cols))
                        .toType(type, false)
                        .toDevice(a.getDevice(), false);
        long batch = shape.dimension() == 2 ? shape.get(0) : 1;
        NDArray d = a.sub(b).reshape(batch, rows, cols);
        NDArray weighted = r.matMul(d).matMul(c);
        NDArray d2 = d.mul(weighted).sum(new int[] {1, 2});
        return shape.dimension() == 2 ? d2 : d2.reshape(new Shape());
    }

    /**
     * Returns the squared IMED of two maps, computed on the host in double precision.
     *
     * @param a a row-major map of length m * n
     * @param b a row-major map of length m * n
     * @return d^2 (may be a rounding-level negative number when a and b are nearly equal)
     * @throws IllegalArgumentException if a length differs from m * n
     */
    public double squaredDistance(float[] a, float[] b) {
        int cells = rows * cols;
        if (a == null || b == null || a.length != cells || b.length != cells) {
            throw new IllegalArgumentException(
                    "a and b must have length rows * cols = "
                            + cells
                            + ", got "
                            + (a == null ? "null" : a.length)
                            + " and "
                            + (b == null ? "null" : b.length));
        }
        double[][] d = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                d[i][j] = (double) a[i * cols + j] - b[i * cols + j];
            }
        }
        // (R D)[i][j], then sum_ij D[i][j] (R D C)[i][j]
        double[][] rd = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < rows; p++) {
                double w = rowKernel[i][p];
                for (int j = 0; j < cols; j++) {
                    rd[i][j] += w * d[p][j];
                }
            }
        }
        double sum = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double rdc = 0;
                for (int q = 0; q < cols; q++) {
                    rdc += rd[i][q] * colKernel[q][j];
                }
                sum += d[i][j] * rdc;
            }
        }
        return sum / (2 * Math.PI * sigma * sigma);
    }

    /**
     * Returns the IMED d (the square root of {@link #squaredDistance(float[], float[])},
     * rounding-level negative values taken as 0), computed on the host in double precision.
     *
     * @param a a row-major map of length m * n
     * @param b a row-major map of length m * n
     * @return d &gt;= 0
     * @throws IllegalArgumentException if a length differs from m * n
     */
    public double distance(float[] a, float[] b) {
        return Math.sqrt(Math.max(0.0, squaredDistance(a, b)));
    }

    /**
     * Returns the number of map rows m.
     *
     * @return m
     */
    public int getRows() {
        return rows;
    }

    /**
     * Returns the number of map columns n.
     *
     * @return n
     */
    public int getCols() {
        return cols;
    }

    /**
     * Returns the width s of the Gaussian.
     *
     * @return s
     */
    public double getSigma() {
        return sigma;
    }

    /** exp(-(i - j)^2 / (2 s^2)) for i, j in [0, size). */
    private static double[][] gaussian(int size, double sigma) {
        double[][] g = new double[size][size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                g[i][j] = Math.exp(-(double) (i - j) * (i - j) / (2 * sigma * sigma));
            }
        }
        return g;
    }

    private static double[] flatten(double[][] g, double scale) {
        int size = g.length;
        double[] flat = new double[size * size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                flat[i * size + j] = g[i][j] * scale;
            }
        }
        return flat;
    }

    /** Builder of {@link Imed}. */
    public static final class Builder {

        private int rows;
        private int cols;
        private double sigma = 1.0;

        private Builder() {}

        /**
         * Sets the number of map rows m.
         *
         * @param rows m, &gt;= 1
         * @return this builder
         */
        public Builder setRows(int rows) {
            this.rows = rows;
            return this;
        }

        /**
         * Sets the number of map columns n.
         *
         * @param cols n, &gt;= 1
         * @return this builder
         */
        public Builder setCols(int cols) {
            this.cols = cols;
            return this;
        }

        /**
         * Sets the width s of the Gaussian (default 1, the value of the paper's Table 1).
         *
         * @param sigma s, finite and &gt; 0
         * @return this builder
         */
        public Builder optSigma(double sigma) {
            this.sigma = sigma;
            return this;
        }

        /**
         * Builds the distance.
         *
         * @return the distance
         * @throws IllegalArgumentException if rows or cols is &lt; 1, or sigma is not finite and
         *     positive
         */
        public Imed build() {
            if (rows < 1) {
                throw new IllegalArgumentException("rows must be >= 1, got " + rows);
            }
            if (cols < 1) {
                throw new IllegalArgumentException("cols must be >= 1, got " + cols);
            }
            if ((long) rows * cols > 1_000_000) {
                throw new IllegalArgumentException(
                        "rows * cols must be <= 1000000, got " + rows + " * " + cols);
            }
            if (!(sigma > 0) || Double.isInfinite(sigma)) {
                throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
            }
            return new Imed(this);
        }
    }
}
