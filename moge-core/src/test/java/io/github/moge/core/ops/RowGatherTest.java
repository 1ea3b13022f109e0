package io.github.moge.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * {@link RowGather}: the values of advanced indexing, and a gradient that is the serial in-order
 * sum on every repetition, at a size (8192 x 64 gradient elements, 5 rows hit about 1600 times
 * each) where PyTorch's indexing backward adds in parallel on more than one thread.
 */
class RowGatherTest {

    private static final int ROWS = 5;
    private static final int TOKENS = 8192;
    private static final int WIDTH = 64;

    @Test
    void valuesEqualIndexingAndTheGradientIsTheInOrderSumOnEveryRun() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            NDArray table = manager.randomNormal(new Shape(ROWS, WIDTH));
            NDArray indices = manager.randomInteger(0, ROWS, new Shape(TOKENS), DataType.INT64);
            NDArray weights = manager.randomNormal(new Shape(TOKENS, WIDTH));

            // What a single thread adds, in index order, starting from zero.
            long[] index = indices.toLongArray();
            float[] w = weights.toFloatArray();
            float[] expected = new float[ROWS * WIDTH];
            for (int i = 0; i < TOKENS; i++) {
                for (int j = 0; j < WIDTH; j++) {
                    expected[(int) index[i] * WIDTH + j] += w[i * WIDTH + j];
                }
            }

            for (int run = 0; run < 10; run++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray t = table.duplicate();
                    t.tempAttach(scope);
                    t.setRequiresGradient(true);
                    NDArray rows;
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        rows = RowGather.rows(t, indices);
                        collector.backward(rows.mul(weights).sum());
                    }
                    assertEquals(new Shape(TOKENS, WIDTH), rows.getShape());
                    assertArrayEquals(
                            t.get(new NDIndex("{}", indices)).toFloatArray(),
                            rows.toFloatArray(),
                            "values");
                    assertArrayEquals(expected, t.getGradient().toFloatArray(), "run " + run);
                }
            }
        }
    }

    @Test
    void keepsTheShapeOfTheIndicesAndConvertsIntegerTypes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray table = manager.arange(12f).reshape(4, 3);
            NDArray indices = manager.create(new int[] {3, 0, 3, 1}, new Shape(2, 2));
            NDArray rows = RowGather.rows(table, indices);
            assertEquals(new Shape(2, 2, 3), rows.getShape());
            assertArrayEquals(
                    new float[] {9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5}, rows.toFloatArray());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> RowGather.rows(table.reshape(2, 2, 3), indices));
        }
    }
}
