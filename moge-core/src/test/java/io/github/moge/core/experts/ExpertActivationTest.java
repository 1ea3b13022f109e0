package io.github.moge.core.experts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.MoeBlock;
import org.junit.jupiter.api.Test;

/** The expert activation option on a one-expert block with fixed weights, against hand values. */
class ExpertActivationTest {

    /**
     * d = 2, h = 2: w1 = [[1, -1], [2, 0.5]], b1 = [0, -1], w2 = I, b2 = [0.5, 0]. For x = [1, 1]
     * the pre-activation is [3, -1.5]; the output is act([3, -1.5]) + [0.5, 0].
     */
    private static float[] output(NDManager m, ExpertActivation activation, boolean training) {
        StackedExperts.Builder builder =
                StackedExperts.builder().setExperts(1).setHiddenSize(2).optDropout(0.5f);
        if (activation != null) {
            builder.optActivation(activation);
        }
        StackedExperts experts = builder.build();
        experts.initialize(m, DataType.FLOAT32, new Shape(1, 1, 2));
        set(experts, "w1", new float[] {1f, -1f, 2f, 0.5f});
        set(experts, "b1", new float[] {0f, -1f});
        set(experts, "w2", new float[] {1f, 0f, 0f, 1f});
        set(experts, "b2", new float[] {0.5f, 0f});
        NDArray x = m.create(new float[] {1f, 1f}, new Shape(1, 1, 2));
        return experts.apply(new ParameterStore(m, false), x, training).toFloatArray();
    }

    private static void set(StackedExperts experts, String name, float[] values) {
        experts.getParameters().get(name).getArray().set(values);
    }

    @Test
    void reluThenDropoutGivesTheHandValuesOutsideTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            // relu([3, -1.5]) = [3, 0]; dropout is the identity outside training.
            assertArrayEquals(
                    new float[] {3.5f, 0f}, output(m, ExpertActivation.RELU, false), 1e-6f);
        }
    }

    @Test
    void geluIsTheDefaultAndGivesTheHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            // gelu(v) = v * Phi(v): gelu(3) = 3 * 0.998650102 = 2.995950, gelu(-1.5) = -1.5 *
            // 0.066807201 = -0.100210802.
            float[] expected = {2.995950f + 0.5f, -0.100210802f};
            float[] gelu = output(m, ExpertActivation.GELU, false);
            assertArrayEquals(expected, gelu, 1e-5f);
            assertArrayEquals(gelu, output(m, null, false), 0f);
        }
    }

    @Test
    void dropoutFollowsTheReluInTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            // The second hidden unit is 0 after ReLU whether dropped or not, so the second output
            // is b2's 0; the first is 0.5 + (0 or 3 / (1 - 0.5)).
            for (int i = 0; i < 20; i++) {
                float[] y = output(m, ExpertActivation.RELU, true);
                assertEquals(0f, y[1], 0f);
                assertEquals(true, y[0] == 0.5f || Math.abs(y[0] - 6.5f) < 1e-6f, "y0=" + y[0]);
            }
        }
    }

    @Test
    void accessorsAndNullRefused() {
        assertEquals(
                ExpertActivation.GELU,
                StackedExperts.builder().setExperts(1).setHiddenSize(1).build().getActivation());
        assertEquals(
                ExpertActivation.RELU,
                StackedExperts.builder()
                        .setExperts(1)
                        .setHiddenSize(1)
                        .optActivation(ExpertActivation.RELU)
                        .build()
                        .getActivation());
        assertThrows(
                IllegalArgumentException.class, () -> StackedExperts.builder().optActivation(null));
        // An MoE layer passes it on to its experts, also through a template's copy.
        MoeBlock.Builder template =
                MoeBlock.builder()
                        .setExperts(2)
                        .setHiddenSize(1)
                        .optExpertActivation(ExpertActivation.RELU);
        assertEquals(ExpertActivation.RELU, template.copy().build().getExperts().getActivation());
        assertEquals(
                ExpertActivation.GELU,
                MoeBlock.builder()
                        .setExperts(2)
                        .setHiddenSize(1)
                        .build()
                        .getExperts()
                        .getActivation());
    }
}
