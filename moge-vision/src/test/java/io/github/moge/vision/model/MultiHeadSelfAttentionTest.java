package io.github.moge.vision.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

class MultiHeadSelfAttentionTest {

    /** Sets a parameter whose key ends with the given suffix. */
    static void set(ai.djl.nn.Block block, String suffix, float[] values) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getKey().endsWith(suffix)) {
                NDArray array = p.getValue().getArray();
                array.set(array.getManager().create(values, array.getShape()).toByteBuffer());
                return;
            }
        }
        throw new AssertionError("no parameter " + suffix);
    }

    @Test
    void oneHeadWithIdentityProjectionsMatchesAHandComputation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiHeadSelfAttention attention = new MultiHeadSelfAttention(2, 1, 0f, 0f);
            attention.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 2));
            float[] eye = {1, 0, 0, 1};
            set(attention, "qkv_weight", new float[] {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1});
            set(attention, "qkv_bias", new float[6]);
            set(attention, "proj_weight", eye);
            set(attention, "proj_bias", new float[2]);
            // Tokens e1 and e2: scores = x x^T / sqrt(2) = I / sqrt(2); each token attends to
            // itself with
            // weight a = sigmoid(1 / sqrt(2)) and to the other with 1 - a.
            NDArray x = manager.create(eye, new Shape(1, 2, 2));
            NDArray y =
                    attention
                            .forward(new ParameterStore(manager, false), new NDList(x), false)
                            .head();
            float a = (float) (1 / (1 + Math.exp(-1 / Math.sqrt(2))));
            assertArrayEquals(new float[] {a, 1 - a, 1 - a, a}, y.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void headsSplitTheWidth() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // Two heads of width 1: head h attends with feature h only, so a token's output feature
            // h is
            // the softmax over the tokens' feature h products.
            MultiHeadSelfAttention attention = new MultiHeadSelfAttention(2, 2, 0f, 0f);
            attention.initialize(manager, DataType.FLOAT32, new Shape(1, 2, 2));
            set(attention, "qkv_weight", new float[] {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1});
            set(attention, "qkv_bias", new float[6]);
            set(attention, "proj_weight", new float[] {1, 0, 0, 1});
            set(attention, "proj_bias", new float[2]);
            NDArray x = manager.create(new float[] {1, 2, 3, -1}, new Shape(1, 2, 2));
            float[] y =
                    attention
                            .forward(new ParameterStore(manager, false), new NDList(x), false)
                            .head()
                            .toFloatArray();
            float[][] tokens = {{1, 2}, {3, -1}};
            for (int t = 0; t < 2; t++) {
                for (int h = 0; h < 2; h++) {
                    double w0 = Math.exp(tokens[t][h] * tokens[0][h]);
                    double w1 = Math.exp(tokens[t][h] * tokens[1][h]);
                    double expected = (w0 * tokens[0][h] + w1 * tokens[1][h]) / (w0 + w1);
                    assertEquals(expected, y[t * 2 + h], 1e-5);
                }
            }
        }
    }

    @Test
    void headsMustDivideTheWidth() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new MultiHeadSelfAttention(10, 3, 0f, 0f));
        assertEquals("the number of heads (3) must divide the width (10)", e.getMessage());
    }
}
