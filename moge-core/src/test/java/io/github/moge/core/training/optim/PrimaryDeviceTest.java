package io.github.moge.core.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

/**
 * With a primary device set, the optimizer updates only the copies of parameters on that device:
 * DJL's parameter server calls it once per device, and a copy elsewhere only has its gradient
 * zeroed (the training loop copies the updated primary into it).
 */
class PrimaryDeviceTest {

    @Test
    void aCopyOnAnotherDeviceIsNotUpdatedAndAdvancesNoCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            StatefulAdamW adam =
                    StatefulAdamW.builder().optLearningRateTracker(Tracker.fixed(0.1f)).build();
            NDArray weight = manager.create(new float[] {1f, -2f, 3f});
            weight.setRequiresGradient(true);
            float[] before = weight.toFloatArray();
            // The arrays here are on the CPU: naming another device as the primary makes this
            // array a copy.
            adam.setPrimaryDevice(Device.gpu(0));
            adam.update("w", weight, manager.create(new float[] {1f, 1f, 1f}));
            assertArrayEquals(before, weight.toFloatArray(), 0f);
            assertEquals(0, adam.getUpdateCount("w"));
            assertArrayEquals(new float[3], weight.getGradient().toFloatArray(), 0f);

            adam.setPrimaryDevice(weight.getDevice());
            adam.update("w", weight, manager.create(new float[] {1f, 1f, 1f}));
            assertEquals(1, adam.getUpdateCount("w"));
            assertFalse(before[0] == weight.toFloatArray()[0]);
        }
    }
}
