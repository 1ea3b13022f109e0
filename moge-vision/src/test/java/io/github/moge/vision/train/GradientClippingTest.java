package io.github.moge.vision.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    @Test
    void clipsByGlobalNormInPlace() {
        try (Model model = Model.newInstance("clip")) {
            model.setBlock(Linear.builder().setUnits(2).build());
            try (Trainer t = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()))) {
                t.initialize(new Shape(1, 3));
                NDManager m = t.getManager();
                try (GradientCollector gc = t.newGradientCollector()) {
                    NDList out = t.forward(new NDList(m.create(new float[] {1, 2, 3}, new Shape(1, 3))));
                    gc.backward(out.head().mul(m.create(new float[] {30, -40}, new Shape(1, 2))).sum());
                }
                // d/dW = [30, -40]^T x [1, 2, 3], d/db = [30, -40]: norm^2 = 2500 * 14 + 2500.
                double expected = Math.sqrt(2500.0 * 15);
                float[] before = gradOf(model, "weight");
                try (NDManager scratch = m.newSubManager()) {
                    float norm = GradientClipping.clipByGlobalNorm(model.getBlock().getParameters(), 1f, scratch);
                    assertEquals(expected, norm, 1e-3);
                }
                float[] after = gradOf(model, "weight");
                for (int i = 0; i < before.length; i++) {
                    assertEquals(before[i] / expected, after[i], 1e-5);
                }
                try (NDManager scratch = m.newSubManager()) {
                    assertEquals(1f, GradientClipping.clipByGlobalNorm(model.getBlock().getParameters(), 0f, scratch), 1e-5);
                    // A limit above the norm changes nothing.
                    GradientClipping.clipByGlobalNorm(model.getBlock().getParameters(), 5f, scratch);
                }
                assertArrayEquals(after, gradOf(model, "weight"), 1e-7f);
            }
        }
    }

    private static float[] gradOf(Model model, String name) {
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getKey().endsWith(name)) {
                try (NDArray g = p.getValue().getArray().getGradient()) {
                    return g.toFloatArray();
                }
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void learningRateWarmsUpThenDecays() {
        TrainingSettings s = TrainingSettings.builder().setEpochs(10).optLearningRate(1e-3f).optMinLearningRate(1e-5f)
                .optWarmupEpochs(2).optBatchSize(10).build();
        assertEquals(10, VisionTrainer.stepsPerEpoch(105, s));
        Tracker lr = VisionTrainer.learningRateSchedule(s, 10);
        assertEquals(0f, lr.getNewValue(0), 1e-9f);
        assertEquals(5e-4f, lr.getNewValue(10), 1e-7f);
        assertEquals(1e-3f, lr.getNewValue(20), 1e-7f);
        assertEquals(1e-5f + (1e-3f - 1e-5f) / 2, lr.getNewValue(60), 1e-7f);
        assertEquals(1e-5f, lr.getNewValue(100), 1e-8f);
    }
}
