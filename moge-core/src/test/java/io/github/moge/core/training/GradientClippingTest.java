package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    @Test
    void clipsByGlobalNormInPlace() {
        try (NDManager m = NDManager.newBaseManager()) {
            // The gradients of a Linear(3 -> 2) for d(out . [30, -40]) at x = [1, 2, 3]:
            // dW = [30, -40]^T x [1, 2, 3], db = [30, -40], so norm^2 = 2500 * 14 + 2500.
            NDArray w = m.create(new float[] {30, 60, 90, -40, -80, -120}, new Shape(2, 3));
            NDArray b = m.create(new float[] {30, -40});
            List<NDArray> gradients = List.of(w, b);
            double expected = Math.sqrt(2500.0 * 15);
            float norm = GradientClipping.globalNorm(gradients).getFloat();
            assertEquals(expected, norm, 1e-3);
            float[] before = w.toFloatArray();

            assertTrue(GradientClipping.clip(gradients, norm, 1f));
            float[] after = w.toFloatArray();
            for (int i = 0; i < before.length; i++) {
                assertEquals(before[i] / expected, after[i], 1e-5);
            }
            assertEquals(1f, GradientClipping.globalNorm(gradients).getFloat(), 1e-5);
            // A limit above the norm, or no limit, changes nothing.
            assertFalse(GradientClipping.clip(gradients, 1f, 5f));
            assertFalse(GradientClipping.clip(gradients, 1f, 0f));
            assertArrayEquals(after, w.toFloatArray(), 0f);
        }
    }
}
