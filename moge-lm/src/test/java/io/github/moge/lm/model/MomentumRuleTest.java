package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The three residual rules on a hand-computed two-layer example. */
class MomentumRuleTest {

    private NDManager manager;
    private NDArray u0;
    private NDArray u1;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        u0 = manager.create(new float[] {1f, -2f, 0.5f});
        u1 = manager.create(new float[] {3f, 0.5f, -1f});
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void plainAddsTheOutputAndCarriesNothing() {
        MomentumRule rule = MomentumRule.plain();
        MomentumRule.Step step = rule.apply(u0, null, 0);
        assertSame(u0, step.getIncrement());
        assertNull(step.getMomentum());
    }

    @Test
    void heavyBallOverTwoLayers() {
        MomentumRule rule =
                MomentumRule.builder()
                        .setKind(MomentumRule.Kind.MOMENTUM)
                        .build(); // mu .7, gamma 1
        MomentumRule.Step first = rule.apply(u0, null, 0);
        // m_0 = 0.7 * 0 + 1 * u0
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, first.getIncrement().toFloatArray(), 1e-6f);
        MomentumRule.Step second = rule.apply(u1, first.getMomentum(), 1);
        // m_1 = 0.7 * [1, -2, 0.5] + [3, 0.5, -1] = [3.7, -0.9, -0.65]
        assertArrayEquals(
                new float[] {3.7f, -0.9f, -0.65f}, second.getIncrement().toFloatArray(), 1e-6f);
        assertArrayEquals(
                second.getIncrement().toFloatArray(), second.getMomentum().toFloatArray());

        MomentumRule scaled =
                MomentumRule.builder()
                        .setKind(MomentumRule.Kind.MOMENTUM)
                        .optMu(0.5f)
                        .optGamma(2f)
                        .build();
        NDArray m0 = scaled.apply(u0, null, 0).getMomentum(); // [2, -4, 1]
        // 0.5 * [2, -4, 1] + 2 * [3, 0.5, -1] = [7, -1, -1.5]
        assertArrayEquals(
                new float[] {7f, -1f, -1.5f},
                scaled.apply(u1, m0, 1).getIncrement().toFloatArray(),
                1e-6f);
    }

    @Test
    void adamInFirstLayerThenMomentum() {
        MomentumRule rule = MomentumRule.builder().setKind(MomentumRule.Kind.ADAM).build();
        MomentumRule.Step first = rule.apply(u0, null, 0);
        // p = 0.1 u, v = 0.001 u^2, s = p / sqrt(v + 1e-8)
        float[] expected = new float[3];
        float[] u = {1f, -2f, 0.5f};
        for (int i = 0; i < 3; i++) {
            expected[i] = (float) (0.1 * u[i] / Math.sqrt(0.001 * u[i] * u[i] + 1e-8));
        }
        // about +-3.1621 each: the Adam step normalises the magnitude away
        assertArrayEquals(expected, first.getIncrement().toFloatArray(), 1e-4f);
        assertArrayEquals(
                new float[] {3.16226f, -3.16227f, 3.16221f},
                first.getIncrement().toFloatArray(),
                3e-5f);
        // the momentum buffer starts from gamma * u0 and layer 1 is heavy-ball
        assertArrayEquals(u, first.getMomentum().toFloatArray(), 1e-6f);
        MomentumRule.Step second = rule.apply(u1, first.getMomentum(), 1);
        assertArrayEquals(
                new float[] {3.7f, -0.9f, -0.65f}, second.getIncrement().toFloatArray(), 1e-6f);
    }

    @Test
    void rejectsBadHyperParameters() {
        assertThrows(IllegalArgumentException.class, () -> MomentumRule.builder().optMu(1f));
        assertThrows(IllegalArgumentException.class, () -> MomentumRule.builder().optGamma(0f));
        assertThrows(
                IllegalArgumentException.class, () -> MomentumRule.builder().optBetas(0.9f, 1f));
    }
}
