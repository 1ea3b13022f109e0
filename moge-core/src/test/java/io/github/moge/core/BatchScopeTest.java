package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class BatchScopeTest {

    @Test
    void resultsOfParameterExpressionsAreFreedWithTheBatch() {
        try (NDManager model = NDManager.newBaseManager()) {
            NDArray parameter = model.create(new float[] {1f, 2f, 3f});
            parameter.setRequiresGradient(true);
            int before = ((BaseNDManager) model).getManagedArrays().size();
            for (int step = 0; step < 5; step++) {
                try (NDManager batch = model.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray x = batch.create(new float[] {1f, 1f, 1f});
                    NDArray y = BatchScope.view(parameter, x).exp().mul(x);
                    assertSame(batch, y.getManager());
                    collector.backward(y.sum());
                }
            }
            // Nothing was left on the long-lived manager (the sub-manager itself aside).
            assertEquals(before, ((BaseNDManager) model).getManagedArrays().size());
            // The gradient still reached the parameter: d/dp sum(exp(p)) = exp(p), accumulated over
            // the
            // five steps (nothing zeroes it between them here).
            float[] grad = parameter.getGradient().toFloatArray();
            float[] expected = {
                (float) (5 * Math.E), (float) (5 * Math.exp(2)), (float) (5 * Math.exp(3))
            };
            assertArrayEquals(expected, grad, 1e-4f);
        }
    }

    @Test
    void withoutTheViewTheResultsStayOnTheParameterManager() {
        // Documents the DJL behaviour the class exists for.
        try (NDManager model = NDManager.newBaseManager()) {
            NDArray parameter = model.create(new float[] {1f, 2f});
            try (NDManager batch = model.newSubManager()) {
                NDArray y = parameter.exp().mul(batch.create(new float[] {1f, 1f}));
                assertSame(model, y.getManager());
            }
        }
    }
}
