package io.github.moge.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.moge.core.routing.RoutingResult;
import org.junit.jupiter.api.Test;

class RoutingStatisticsTest {

    private static RoutingResult routing(NDManager m, float[][] z, long[][] experts) {
        NDArray zz = m.create(z);
        NDArray ex = m.create(experts);
        return new RoutingResult(zz.log(), zz.log(), zz, zz.gather(ex, 1), ex);
    }

    @Test
    void accumulatesCountsDropsAndMeanMap() {
        float[][] z1 = {
            {0.5f, 0.2f, 0.2f, 0.1f},
            {0.1f, 0.6f, 0.2f, 0.1f},
            {0.4f, 0.3f, 0.2f, 0.1f},
        };
        long[][] e1 = {{0, 1}, {1, 2}, {0, 1}};
        float[][] z2 = {{0.1f, 0.1f, 0.1f, 0.7f}};
        long[][] e2 = {{3, 0}};
        RoutingStatistics stats = RoutingStatistics.create(4);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray kept = m.create(new boolean[][] {{true, true}, {true, false}, {false, true}});
            RoutingResult r1 = routing(m, z1, e1);
            long before = m.getManagedArrays().size();
            stats.update(r1, kept);
            assertEquals(
                    before,
                    m.getManagedArrays().size(),
                    "update must not leave arrays in the caller's manager");
            assertArrayEquals(new long[] {1, 3, 0, 0}, stats.getTokenCounts());
            assertEquals(2.0 / 6, stats.getDroppedFraction(), 1e-15);
            assertEquals(2, stats.getActiveExperts());

            stats.update(routing(m, z2, e2), null);
            assertArrayEquals(new long[] {2, 3, 0, 1}, stats.getTokenCounts());
            assertEquals(2.0 / 8, stats.getDroppedFraction(), 1e-15);
            assertEquals(3, stats.getActiveExperts());
            assertEquals(4, stats.getNumTokens());
            assertEquals(2, stats.getNumBatches());
            float[] mean = stats.getMeanRoutingInput();
            assertArrayEquals(new float[] {1.1f / 4, 1.2f / 4, 0.7f / 4, 1.0f / 4}, mean, 1e-6f);
            float[][] map = stats.getMeanRoutingMap(2, 2);
            assertArrayEquals(new float[] {mean[0], mean[1]}, map[0], 0f);
            assertArrayEquals(new float[] {mean[2], mean[3]}, map[1], 0f);
            // the caller's arrays are still usable
            assertEquals(5, r1.getExperts().sum().getLong());
            // (the sum of an integer array is int64 on PyTorch)
            assertEquals(
                    4, kept.toType(ai.djl.ndarray.types.DataType.INT32, false).sum().getLong());

            stats.reset();
            assertArrayEquals(new long[4], stats.getTokenCounts());
            assertEquals(0.0, stats.getDroppedFraction(), 0.0);
            assertArrayEquals(new float[4], stats.getMeanRoutingInput(), 0f);
            assertEquals(0, stats.getActiveExperts());
            assertEquals(0, stats.getNumTokens());
        }
    }

    @Test
    void badInputIsRejectedWithTheFieldName() {
        assertMessage(() -> RoutingStatistics.create(0), "numExperts");
        RoutingStatistics stats = RoutingStatistics.create(4);
        assertMessage(() -> stats.getMeanRoutingMap(3, 2), "rows * cols");
        try (NDManager m = NDManager.newBaseManager()) {
            RoutingResult r = routing(m, new float[][] {{0.5f, 0.5f}}, new long[][] {{0}});
            assertMessage(() -> stats.update(r, null), "numExperts");
            RoutingResult r4 =
                    routing(m, new float[][] {{0.25f, 0.25f, 0.25f, 0.25f}}, new long[][] {{0}});
            assertMessage(
                    () -> stats.update(r4, m.create(new boolean[][] {{true, false}})), "kept");
            assertMessage(() -> stats.update(r4, m.create(new int[][] {{1}})), "boolean");
        }
        assertEquals(0, stats.getNumBatches());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
