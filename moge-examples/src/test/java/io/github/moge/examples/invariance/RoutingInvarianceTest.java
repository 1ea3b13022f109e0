package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.moge.core.metrics.Imed;
import io.github.moge.vision.transform.InvarianceTransforms;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RoutingInvarianceTest {

    @Test
    void batchedMeanEqualsAPerImageLoop() {
        Engine.getInstance().setRandomSeed(11);
        int rows = 2;
        int cols = 3;
        int images = 5;
        Imed imed = Imed.of(rows, cols);
        List<InvarianceTransforms.Entry> transforms = InvarianceTransforms.all();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray gate =
                    manager.randomNormal(
                            0f,
                            0.2f,
                            new Shape(784, rows * cols),
                            ai.djl.ndarray.types.DataType.FLOAT32);
            Function<NDArray, NDArray> mapsOf = x -> x.matMul(gate).softmax(-1);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(images, 784));

            RoutingInvariance meter = new RoutingInvariance(imed, transforms, 28, 28);
            // two uneven batches
            NDArray first = x.get(new NDIndex("0:3"));
            NDArray second = x.get(new NDIndex("3:5"));
            meter.update(first, mapsOf.apply(first), mapsOf);
            meter.update(second, mapsOf.apply(second), mapsOf);
            assertEquals(images, meter.count());
            double[] batched = meter.means();

            for (int t = 0; t < transforms.size(); t++) {
                double sum = 0;
                for (int i = 0; i < images; i++) {
                    NDArray image = x.get(i); // [784]
                    NDArray moved =
                            transforms.get(t).getTransform().transformFlattened(image, 28, 28);
                    float[] a = mapsOf.apply(image.reshape(1, 784)).toFloatArray();
                    float[] b = mapsOf.apply(moved.reshape(1, 784)).toFloatArray();
                    sum += imed.distance(a, b);
                }
                double loop = sum / images;
                assertTrue(loop > 0, transforms.get(t).getName());
                assertEquals(loop, batched[t], 1e-4 * loop + 1e-7, transforms.get(t).getName());
            }
        }
    }

    @Test
    void identicalMapsHaveZeroDistanceAndEmptyMeterGivesNaN() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Imed imed = Imed.of(2, 2);
            NDArray a =
                    manager.create(
                            new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.25f, 0.25f, 0.25f, 0.25f},
                            new Shape(2, 4));
            float[] d = RoutingInvariance.distances(imed, a, a).toFloatArray();
            assertEquals(0f, d[0]);
            assertEquals(0f, d[1]);
            RoutingInvariance meter =
                    new RoutingInvariance(imed, InvarianceTransforms.all(), 28, 28);
            assertTrue(Double.isNaN(meter.means()[0]));
        }
    }
}
