package io.github.moge.vision.model.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

class WindowAttentionV2Test {

    private static void set(Block block, String suffix, float value) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getKey().endsWith(suffix)) {
                NDArray array = p.getValue().getArray();
                array.set(array.getManager().full(array.getShape(), value).toByteBuffer());
                return;
            }
        }
        throw new AssertionError("no parameter " + suffix);
    }

    private static void setEye(Block block, String suffix, int copies, int width) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getKey().endsWith(suffix)) {
                NDArray array = p.getValue().getArray();
                NDArray eye = array.getManager().eye(width);
                NDArray stacked = eye;
                for (int i = 1; i < copies; i++) {
                    stacked = stacked.concat(eye, 0);
                }
                array.set(stacked.toByteBuffer());
                return;
            }
        }
        throw new AssertionError("no parameter " + suffix);
    }

    /**
     * One head on a 1 x 2 "window" is not possible (windows are square), so use a 2 x 2 window with
     * orthogonal and parallel tokens and a zero position-bias MLP: the bias is then 16 sigmoid(0) =
     * 8 for every pair, which softmax ignores, and the logits are 10 * cos(q_i, k_j).
     */
    @Test
    void scaledCosineAttentionByHandAndTheLogitScaleClamp() {
        try (NDManager manager = NDManager.newBaseManager()) {
            WindowAttentionV2 attention = new WindowAttentionV2(2, 1, 2, 0f, 0f);
            attention.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 2));
            setEye(attention, "qkv_weight", 3, 2);
            set(attention, "q_bias", 0f);
            set(attention, "v_bias", 0f);
            set(attention, "cpb_fc1_weight", 0f);
            set(attention, "cpb_fc1_bias", 0f);
            set(attention, "cpb_fc2_weight", 0f);
            setEye(attention, "proj_weight", 1, 2);
            set(attention, "proj_bias", 0f);
            // Tokens: e1, 2 e1, e2, -e1. Cosines with e1: 1, 1, 0, -1.
            float[] tokens = {1, 0, 2, 0, 0, 1, -1, 0};
            NDArray x = manager.create(tokens, new Shape(1, 4, 2));
            ParameterStore store = new ParameterStore(manager, false);
            float[] y = attention.forward(store, new NDList(x), false).head().toFloatArray();
            float[] expected = reference(tokens, 10.0);
            assertArrayEquals(expected, y, 1e-5f);

            // A log scale above log(100) is clamped there.
            set(attention, "logit_scale", (float) Math.log(1000));
            float[] clamped = attention.forward(store, new NDList(x), false).head().toFloatArray();
            assertArrayEquals(reference(tokens, 100.0), clamped, 1e-5f);
            assertEquals(8f, attention.positionBias(store, x, false).getFloat(0, 1, 2), 1e-6f);
        }
    }

    /** softmax_j(scale * cos(x_i, x_j)) x_j with identity projections. */
    private static float[] reference(float[] tokens, double scale) {
        int n = tokens.length / 2;
        float[] out = new float[tokens.length];
        for (int i = 0; i < n; i++) {
            double[] w = new double[n];
            double sum = 0;
            for (int j = 0; j < n; j++) {
                double dot = tokens[2 * i] * tokens[2 * j] + tokens[2 * i + 1] * tokens[2 * j + 1];
                double ni = Math.hypot(tokens[2 * i], tokens[2 * i + 1]);
                double nj = Math.hypot(tokens[2 * j], tokens[2 * j + 1]);
                w[j] = Math.exp(scale * dot / (ni * nj));
                sum += w[j];
            }
            for (int j = 0; j < n; j++) {
                out[2 * i] += (float) (w[j] / sum * tokens[2 * j]);
                out[2 * i + 1] += (float) (w[j] / sum * tokens[2 * j + 1]);
            }
        }
        return out;
    }
}
