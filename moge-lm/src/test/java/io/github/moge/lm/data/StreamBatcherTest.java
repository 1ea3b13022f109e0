package io.github.moge.lm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Contiguous rows, shifted labels and the partial last block. */
class StreamBatcherTest {

    private static int[] range(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    @Test
    void rowsAreContiguousStreamsAndLabelsAreShifted() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // 23 tokens, B = 2: rows 0..10 and 11..21 (token 22 dropped); 10 predictable columns
            StreamBatcher eval = new StreamBatcher(range(23), 2, 4, true);
            assertEquals(3, eval.size());
            assertEquals(20, eval.predictedTokens());
            NDList first = eval.get(manager, 0);
            assertArrayEquals(new int[] {0, 1, 2, 3, 11, 12, 13, 14}, first.get(0).toIntArray());
            assertArrayEquals(new int[] {1, 2, 3, 4, 12, 13, 14, 15}, first.get(1).toIntArray());
            NDList second = eval.get(manager, 1);
            assertArrayEquals(new int[] {4, 5, 6, 7, 15, 16, 17, 18}, second.get(0).toIntArray());
            NDList last = eval.get(manager, 2);
            assertEquals(new Shape(2, 2), last.get(0).getShape());
            assertArrayEquals(new int[] {9, 10, 20, 21}, last.get(1).toIntArray());

            StreamBatcher train = new StreamBatcher(range(23), 2, 4, false);
            assertEquals(2, train.size());
            assertEquals(16, train.predictedTokens());
            assertThrows(IndexOutOfBoundsException.class, () -> train.get(manager, 2));
        }
        assertThrows(IllegalArgumentException.class, () -> new StreamBatcher(range(3), 2, 4, true));
    }
}
