package io.github.moge.vision.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class DropPathTest {

    @Test
    void identityInEvaluation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(8, 3, 4));
            assertSame(x, DropPath.apply(x, 0.5f, false));
        }
    }

    @Test
    void dropsWholeSamplesAndKeepsTheExpectation() {
        Engine.getInstance().setRandomSeed(3);
        float p = 0.3f;
        int samples = 20000;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.arange(1f, 7f).reshape(1, 2, 3).broadcast(samples, 2, 3);
            float[] out = DropPath.apply(x, p, true).toFloatArray();
            int dropped = 0;
            double[] mean = new double[6];
            for (int s = 0; s < samples; s++) {
                boolean zero = out[s * 6] == 0f;
                dropped += zero ? 1 : 0;
                for (int j = 0; j < 6; j++) {
                    float expected = zero ? 0f : (j + 1) / (1f - p);
                    assertEquals(
                            expected,
                            out[s * 6 + j],
                            1e-5,
                            "sample " + s + " is dropped or scaled as a whole");
                    mean[j] += out[s * 6 + j] / samples;
                }
            }
            double rate = (double) dropped / samples;
            assertTrue(Math.abs(rate - p) < 0.015, "drop rate " + rate);
            for (int j = 0; j < 6; j++) {
                assertEquals(j + 1, mean[j], 0.03 * (j + 1), "expectation of element " + j);
            }
        }
    }

    @Test
    void rejectsInvalidRates() {
        assertThrows(IllegalArgumentException.class, () -> new DropPath(1f));
        assertThrows(IllegalArgumentException.class, () -> new DropPath(-0.1f));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(2, 2));
            assertArrayEquals(x.toFloatArray(), DropPath.apply(x, 0f, true).toFloatArray());
        }
    }
}
