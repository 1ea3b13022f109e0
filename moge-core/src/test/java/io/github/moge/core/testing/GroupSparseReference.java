package io.github.moge.core.testing;

/**
 * The group-sparse regularizer of docs/design.md written out with explicit loops in doubles,
 * independent of the library's vectorised implementation: the naive reference that the regularizer
 * tests and the end-to-end gradient checks compare against.
 */
public final class GroupSparseReference {

    private GroupSparseReference() {}

    /**
     * Returns G(u, v) = exp(-(u^2 + v^2) / (2 sigma^2)) / sum, offsets -f/2..f/2.
     *
     * @param f the filter size
     * @param sigma the width
     * @return the kernel [f][f]
     */
    public static double[][] gaussian(int f, double sigma) {
        double[][] g = new double[f][f];
        double sum = 0;
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < f; j++) {
                double u = i - f / 2;
                double v = j - f / 2;
                g[i][j] = Math.exp(-(u * u + v * v) / (2 * sigma * sigma));
                sum += g[i][j];
            }
        }
        for (double[] row : g) {
            for (int j = 0; j < f; j++) {
                row[j] /= sum;
            }
        }
        return g;
    }

    /**
     * Returns L_gs of routing inputs: the sum over tokens of sqrt(conv_valid(Z^2, G) + 1e-8),
     * divided by f^2 P, with explicit loops over tokens and map positions.
     *
     * @param z the routing inputs [N][E], E = rows * cols, row-major maps
     * @param rows m
     * @param cols n
     * @param f the filter size
     * @param sigma the kernel width
     * @return L_gs
     */
    public static double groupSparse(double[][] z, int rows, int cols, int f, double sigma) {
        double[][] g = gaussian(f, sigma);
        int outRows = rows - f + 1;
        int outCols = cols - f + 1;
        double total = 0;
        for (double[] token : z) {
            for (int i = 0; i < outRows; i++) {
                for (int j = 0; j < outCols; j++) {
                    double s = 0;
                    for (int a = 0; a < f; a++) {
                        for (int b = 0; b < f; b++) {
                            double cell = token[(i + a) * cols + (j + b)];
                            s += g[a][b] * cell * cell;
                        }
                    }
                    total += Math.sqrt(s + 1e-8);
                }
            }
        }
        return total / ((double) f * f * outRows * outCols);
    }

    /**
     * Returns the softmax of every row.
     *
     * @param logits [N][E]
     * @return softmax over each row, [N][E]
     */
    public static double[][] softmaxRows(double[][] logits) {
        double[][] z = new double[logits.length][];
        for (int t = 0; t < logits.length; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[t]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            z[t] = new double[logits[t].length];
            for (int j = 0; j < z[t].length; j++) {
                z[t][j] = Math.exp(logits[t][j] - max);
                sum += z[t][j];
            }
            for (int j = 0; j < z[t].length; j++) {
                z[t][j] /= sum;
            }
        }
        return z;
    }

    /**
     * Returns the router's clean logits h = x W in doubles.
     *
     * @param x the router input [N][d]
     * @param gate the gate weight [d][E]
     * @return h [N][E]
     */
    public static double[][] logits(double[][] x, double[][] gate) {
        int experts = gate[0].length;
        double[][] h = new double[x.length][experts];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < gate.length; i++) {
                double xi = x[t][i];
                if (xi == 0) {
                    continue;
                }
                for (int j = 0; j < experts; j++) {
                    h[t][j] += xi * gate[i][j];
                }
            }
        }
        return h;
    }

    /**
     * Returns dL_gs(softmax(x W)) / dW[i][j] by the central difference (L(W + eps e_ij) - L(W - eps
     * e_ij)) / (2 eps), in doubles: moving W[i][j] moves column j of the logits by eps x[:, i].
     *
     * @param x the router input [N][d]
     * @param logits h = x W [N][E], from {@link #logits}
     * @param i the gate row (input feature)
     * @param j the gate column (expert)
     * @param eps the step
     * @param rows m
     * @param cols n
     * @param f the filter size
     * @param sigma the kernel width
     * @return the derivative
     */
    public static double gateDerivative(
            double[][] x,
            double[][] logits,
            int i,
            int j,
            double eps,
            int rows,
            int cols,
            int f,
            double sigma) {
        double[][] moved = new double[logits.length][];
        for (int t = 0; t < logits.length; t++) {
            moved[t] = logits[t].clone();
            moved[t][j] += eps * x[t][i];
        }
        double plus = groupSparse(softmaxRows(moved), rows, cols, f, sigma);
        for (int t = 0; t < logits.length; t++) {
            moved[t][j] = logits[t][j] - eps * x[t][i];
        }
        double minus = groupSparse(softmaxRows(moved), rows, cols, f, sigma);
        return (plus - minus) / (2 * eps);
    }
}
