package io.github.moge.core;

/**
 * The 2-D arrangement of E experts as an m x n "topographic map" (row-major), on which the
 * group-sparse regularizer convolves.
 *
 * <p>{@link #forExperts(int)} picks m &lt;= n with m * n = E and n - m as small as possible (8
 * -&gt; 2x4, 16 -&gt; 4x4, 32 -&gt; 4x8, 400 -&gt; 20x20; a prime E gives 1 x E). {@link #of(int,
 * int)} sets an explicit shape.
 */
public final class TopographicMap {

    private final int rows;
    private final int cols;

    private TopographicMap(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * Returns the most square map for {@code experts} experts: m &lt;= n, m * n = E, n - m
     * smallest.
     *
     * @param experts the number of experts E, at least 1
     * @return the map
     */
    public static TopographicMap forExperts(int experts) {
        if (experts < 1) {
            throw new IllegalArgumentException("experts must be >= 1, got " + experts);
        }
        int m = (int) Math.floor(Math.sqrt(experts));
        while (experts % m != 0) {
            m--;
        }
        return new TopographicMap(m, experts / m);
    }

    /**
     * Returns an explicit rows x cols map.
     *
     * @param rows the number of map rows, at least 1
     * @param cols the number of map columns, at least 1
     * @return the map
     */
    public static TopographicMap of(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException(
                    "map rows and cols must be >= 1, got " + rows + " x " + cols);
        }
        return new TopographicMap(rows, cols);
    }

    /** {@return the number of rows m} */
    public int rows() {
        return rows;
    }

    /** {@return the number of columns n} */
    public int cols() {
        return cols;
    }

    /** {@return the number of cells m * n, which equals the number of experts} */
    public int size() {
        return rows * cols;
    }

    /**
     * Returns the number of positions P = (m - f + 1)(n - f + 1) of a valid f x f convolution.
     *
     * @param filterSize the filter size f
     * @return P
     * @throws IllegalArgumentException if the map cannot hold the filter
     */
    public int validPositions(int filterSize) {
        requireFits(filterSize);
        return (rows - filterSize + 1) * (cols - filterSize + 1);
    }

    /**
     * Checks that an f x f filter fits in this map (m &gt;= f and n &gt;= f).
     *
     * @param filterSize the filter size f
     * @throws IllegalArgumentException naming E, m, n and f if it does not
     */
    public void requireFits(int filterSize) {
        if (rows < filterSize || cols < filterSize) {
            throw new IllegalArgumentException(
                    "topographic map of E="
                            + size()
                            + " experts is "
                            + rows
                            + " x "
                            + cols
                            + ", which cannot hold a "
                            + filterSize
                            + " x "
                            + filterSize
                            + " filter (needs rows >= f and cols >= f): choose E with a"
                            + " factorisation m x n, m, n >= f (e.g. 16, 32, 64), set an explicit"
                            + " map shape, or use a smaller filter");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopographicMap
                && ((TopographicMap) o).rows == rows
                && ((TopographicMap) o).cols == cols;
    }

    @Override
    public int hashCode() {
        return 31 * rows + cols;
    }

    @Override
    public String toString() {
        return rows + "x" + cols;
    }
}
