package io.github.moge.core.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

/**
 * Adam and AdamW against a hand-computed closed form, and bitwise continuation after save/restore.
 */
class StatefulAdamTest {

    private static final float[] START = {0.5f, -1.25f, 2f};
    private static final float[][] COEFFICIENTS = {
        {0.3f, -0.7f, 1.1f}, {-0.2f, 0.4f, 0.9f}, {1.5f, 0.1f, -0.6f}
    };

    /** Loss sum(c * w^2 / 2): gradient c * w, so the gradient depends on the updated weight. */
    private static void backward(NDArray weight, float[] c) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray coefficient = weight.getManager().create(c);
            collector.backward(weight.mul(weight).mul(coefficient).div(2f).sum());
            coefficient.close();
        }
    }

    private static void step(StatefulOptimizer optimizer, NDArray weight, float[] c) {
        backward(weight, c);
        try (NDArray grad = weight.getGradient()) {
            optimizer.update("w", weight, grad);
        }
    }

    /**
     * Reference in double: PyTorch's Adam/AdamW with learning rate lr(t) = base * t (t 1-based).
     */
    private static double[] reference(boolean decoupled, float wd, int steps) {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[] w = new double[3];
        double[] m = new double[3];
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            w[i] = START[i];
        }
        for (int t = 1; t <= steps; t++) {
            double lr = 0.01 * t;
            for (int i = 0; i < 3; i++) {
                double g = COEFFICIENTS[t - 1][i] * w[i];
                if (decoupled) {
                    w[i] *= 1 - lr * wd;
                } else {
                    g += wd * w[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                w[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return w;
    }

    private static StatefulOptimizer optimizer(boolean decoupled, float wd) {
        Tracker lr = t -> 0.01f * t;
        return decoupled
                ? StatefulAdamW.builder().optLearningRateTracker(lr).optWeightDecays(wd).build()
                : StatefulAdam.builder().optLearningRateTracker(lr).optWeightDecays(wd).build();
    }

    private static void checkClosedForm(boolean decoupled, float wd) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(START);
            weight.setRequiresGradient(true);
            StatefulOptimizer optimizer = optimizer(decoupled, wd);
            for (int t = 1; t <= 3; t++) {
                step(optimizer, weight, COEFFICIENTS[t - 1]);
                double[] expected = reference(decoupled, wd, t);
                float[] actual = weight.toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertEquals(
                            expected[i],
                            actual[i],
                            2e-6 * Math.max(1, Math.abs(expected[i])),
                            (decoupled ? "AdamW" : "Adam") + " step " + t + " element " + i);
                }
                assertEquals(t, optimizer.getUpdateCount("w"));
                assertEquals(0.01f * t, optimizer.getLastLearningRate(), 1e-9);
                // The gradient is zeroed after the update, as DJL's optimizers do.
                assertArrayEquals(new float[3], weight.getGradient().toFloatArray());
            }
        }
    }

    @Test
    void adamMatchesClosedForm() {
        checkClosedForm(false, 0f);
        checkClosedForm(false, 0.1f);
    }

    @Test
    void adamWMatchesClosedForm() {
        checkClosedForm(true, 0f);
        checkClosedForm(true, 0.05f);
    }

    @Test
    void restoredStateContinuesBitwise() {
        for (boolean decoupled : new boolean[] {false, true}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray original = manager.create(START);
                original.setRequiresGradient(true);
                StatefulOptimizer first = optimizer(decoupled, 0.05f);
                step(first, original, COEFFICIENTS[0]);
                step(first, original, COEFFICIENTS[1]);

                // Round trip through bytes, as a checkpoint does.
                byte[] weightBytes = original.encode();
                byte[] stateBytes = first.getState("w").encode();
                NDArray restored = NDArray.decode(manager, weightBytes);
                restored.setRequiresGradient(true);
                StatefulOptimizer second = optimizer(decoupled, 0.05f);
                second.setState("w", NDList.decode(manager, stateBytes), first.getUpdateCount("w"));

                for (int t = 3; t <= 5; t++) {
                    float[] c = COEFFICIENTS[(t - 1) % 3];
                    step(first, original, c);
                    step(second, restored, c);
                    assertArrayEquals(
                            original.toFloatArray(), restored.toFloatArray(), 0f, "step " + t);
                    assertArrayEquals(
                            first.getState("w").get(1).toFloatArray(),
                            second.getState("w").get(1).toFloatArray(),
                            0f);
                }
                assertEquals(5, second.getStepCount());
            }
        }
    }
}
