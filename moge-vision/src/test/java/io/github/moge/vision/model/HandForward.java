package io.github.moge.vision.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain maths for the value checks of the model families: fixed parameter values, and the pieces of
 * a Transformer forward (linear maps, LayerNorm, GELU, softmax) written out from their definitions,
 * not through the blocks under test. Matrices are {@code double[rows][cols]}; a linear layer's
 * weight is [out, in] as in DJL.
 */
public final class HandForward {

    /** DJL's LayerNorm epsilon. */
    public static final double LAYER_NORM_EPS = 1e-5;

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    private HandForward(Block model) {
        // DJL numbers the children in parameter paths (01patch_embed_01proj_weight): drop that.
        for (Pair<String, Parameter> p : model.getParameters()) {
            parameters.put(p.getKey().replaceAll("(^|_)\\d{2}(?=[a-z])", "$1"), p.getValue());
        }
    }

    /**
     * Gives every parameter of an initialised model fixed values, {@code 0.5 sin(0.37 j + 0.91 i +
     * 0.1)} for element j of parameter i (LayerNorm weights 1 plus that), and returns a reader of
     * them.
     *
     * @param model an initialised model
     * @return the parameters
     */
    public static HandForward fix(Block model) {
        int i = 0;
        for (Pair<String, Parameter> p : model.getParameters()) {
            NDArray array = p.getValue().getArray();
            float[] values = new float[Math.toIntExact(array.size())];
            boolean gamma = p.getValue().getType() == Parameter.Type.GAMMA;
            for (int j = 0; j < values.length; j++) {
                values[j] = (float) ((gamma ? 1 : 0) + 0.5 * Math.sin(0.37 * j + 0.91 * i + 0.1));
            }
            array.set(values);
            i++;
        }
        return new HandForward(model);
    }

    /**
     * Sets one parameter to given values.
     *
     * @param name the parameter's path
     * @param values its values, in row-major order
     */
    public void set(String name, float... values) {
        parameter(name).set(values);
    }

    /**
     * Returns a parameter's values.
     *
     * @param name the parameter's path without DJL's child numbers, e.g. {@code head_weight}
     * @return the values, flat
     */
    public double[] vector(String name) {
        float[] f = parameter(name).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /**
     * Returns a parameter as a matrix of its first axis by the product of the others.
     *
     * @param name the parameter's path
     * @return rows x cols
     */
    public double[][] matrix(String name) {
        NDArray array = parameter(name);
        int rows = Math.toIntExact(array.getShape().get(0));
        double[] flat = vector(name);
        int cols = flat.length / rows;
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, m[r], 0, cols);
        }
        return m;
    }

    private NDArray parameter(String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            List<String> names = new ArrayList<>(parameters.keySet());
            throw new IllegalArgumentException("no parameter " + name + " in " + names);
        }
        return p.getArray();
    }

    /**
     * x W^T + b for every row of x.
     *
     * @param x rows x in
     * @param weight out x in
     * @param bias out values, or null
     * @return rows x out
     */
    public static double[][] linear(double[][] x, double[][] weight, double[] bias) {
        double[][] y = new double[x.length][weight.length];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < weight.length; o++) {
                double sum = bias == null ? 0 : bias[o];
                for (int i = 0; i < x[r].length; i++) {
                    sum += x[r][i] * weight[o][i];
                }
                y[r][o] = sum;
            }
        }
        return y;
    }

    /**
     * LayerNorm over each row: (x - mean) / sqrt(var + eps) * gamma + beta, with the biased
     * variance.
     *
     * @param x rows x d
     * @param gamma d values
     * @param beta d values
     * @return rows x d
     */
    public static double[][] layerNorm(double[][] x, double[] gamma, double[] beta) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            int d = x[r].length;
            double mean = 0;
            for (double v : x[r]) {
                mean += v / d;
            }
            double var = 0;
            for (double v : x[r]) {
                var += (v - mean) * (v - mean) / d;
            }
            y[r] = new double[d];
            for (int i = 0; i < d; i++) {
                y[r][i] = (x[r][i] - mean) / Math.sqrt(var + LAYER_NORM_EPS) * gamma[i] + beta[i];
            }
        }
        return y;
    }

    /**
     * The exact GELU x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2 of every element.
     *
     * @param x a matrix
     * @return GELU(x)
     */
    public static double[][] gelu(double[][] x) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            y[r] = new double[x[r].length];
            for (int i = 0; i < x[r].length; i++) {
                y[r][i] = 0.5 * x[r][i] * (1 + erf(x[r][i] / Math.sqrt(2)));
            }
        }
        return y;
    }

    /**
     * erf by its Maclaurin series (to double precision for |z| &lt; 4; +-1 beyond, where 1 - erf is
     * below 2e-8).
     *
     * @param z the argument
     * @return erf(z)
     */
    public static double erf(double z) {
        if (Math.abs(z) >= 4) {
            return Math.signum(z);
        }
        double sum = 0;
        double term = z; // (-1)^n z^(2n+1) / n!
        for (int n = 0; n < 200; n++) {
            double next = term / (2 * n + 1);
            sum += next;
            if (Math.abs(next) < 1e-17) {
                break;
            }
            term *= -z * z / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /**
     * exp(x - max) / sum of every row.
     *
     * @param x rows x n
     * @return the row-wise softmax
     */
    public static double[][] softmaxRows(double[][] x) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : x[r]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            y[r] = new double[x[r].length];
            for (int i = 0; i < x[r].length; i++) {
                y[r][i] = Math.exp(x[r][i] - max);
                sum += y[r][i];
            }
            for (int i = 0; i < x[r].length; i++) {
                y[r][i] /= sum;
            }
        }
        return y;
    }

    /**
     * a + b element-wise.
     *
     * @param a a matrix
     * @param b a matrix of the same shape
     * @return the sum
     */
    public static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][];
        for (int r = 0; r < a.length; r++) {
            y[r] = new double[a[r].length];
            for (int i = 0; i < a[r].length; i++) {
                y[r][i] = a[r][i] + b[r][i];
            }
        }
        return y;
    }

    /**
     * The patch embedding of one image by its definition: every p x p patch, in row-major patch
     * order, flattened channel by channel and mapped by the convolution's weight [D, C, p, p] and
     * bias.
     *
     * @param image [C][H][W]
     * @param patch p
     * @param weight the weight as [D, C * p * p]
     * @param bias D values
     * @return tokens x D
     */
    public static double[][] patchEmbed(
            double[][][] image, int patch, double[][] weight, double[] bias) {
        int channels = image.length;
        int rows = image[0].length / patch;
        int cols = image[0][0].length / patch;
        double[][] patches = new double[rows * cols][channels * patch * patch];
        for (int pr = 0; pr < rows; pr++) {
            for (int pc = 0; pc < cols; pc++) {
                int k = 0;
                for (int c = 0; c < channels; c++) {
                    for (int i = 0; i < patch; i++) {
                        for (int j = 0; j < patch; j++) {
                            patches[pr * cols + pc][k++] = image[c][pr * patch + i][pc * patch + j];
                        }
                    }
                }
            }
        }
        return linear(patches, weight, bias);
    }

    /**
     * Fixed input images: {@code sin(0.5 i) + 0.3 cos(1.7 i)} for element i in row-major order.
     *
     * @param manager the manager of the array
     * @param batch B
     * @param channels C
     * @param side H = W
     * @return the images as an array [B, C, H, W] and as {@code [B][C][H][W]} doubles
     */
    public static Pair<NDArray, double[][][][]> images(
            NDManager manager, int batch, int channels, int side) {
        double[][][][] d = new double[batch][channels][side][side];
        float[] flat = new float[batch * channels * side * side];
        int i = 0;
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                for (int h = 0; h < side; h++) {
                    for (int w = 0; w < side; w++) {
                        flat[i] = (float) (Math.sin(0.5 * i) + 0.3 * Math.cos(1.7 * i));
                        d[b][c][h][w] = flat[i];
                        i++;
                    }
                }
            }
        }
        return new Pair<>(
                manager.create(flat, new ai.djl.ndarray.types.Shape(batch, channels, side, side)),
                d);
    }

    /**
     * Asserts that a model's logits equal hand-computed ones to 1e-5.
     *
     * @param expected B x classes
     * @param logits the model's logits [B, classes]
     */
    public static void assertLogits(double[][] expected, NDArray logits) {
        float[] actual = logits.toFloatArray();
        assertEquals(expected.length * expected[0].length, actual.length);
        float[] flat = new float[actual.length];
        for (int b = 0; b < expected.length; b++) {
            for (int k = 0; k < expected[b].length; k++) {
                flat[b * expected[b].length + k] = (float) expected[b][k];
            }
        }
        assertArrayEquals(flat, actual, 1e-5f);
    }
}
