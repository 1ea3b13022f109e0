package io.github.moge.lm.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Epochs as one pass, or as a fixed number of batches that continue the stream (the reference's
 * epoch).
 */
class StreamBatchesTest {

    /** 42 tokens in 2 rows of 21: 20 predictable positions, 5 blocks of 4. */
    private static final int[] STREAM = IntStream.range(0, 42).toArray();

    @Test
    void passEpochsRestartAtTheFirstBlock() {
        StreamBatches pass = new StreamBatches(STREAM, 2, 4, 0);
        assertEquals(5, pass.batchesPerEpoch());
        assertEquals(3, pass.blockOf(7, 3));
        assertTrue(pass.startsStreams(4, 0));
        StreamBatches capped = new StreamBatches(STREAM, 2, 4, 3);
        assertEquals(3, capped.batchesPerEpoch());
        assertEquals(0, capped.blockOf(1, 0));
        assertTrue(capped.startsStreams(1, 0));
        assertEquals(5, new StreamBatches(STREAM, 2, 4, 99).batchesPerEpoch());
    }

    @Test
    void continuingEpochsCarryOnAndWrapAtTheEndOfTheStream() {
        StreamBatches three = StreamBatches.continuing(STREAM, 2, 4, 3);
        assertEquals(3, three.batchesPerEpoch());
        int[] blocks = new int[9];
        boolean[] starts = new boolean[9];
        for (int i = 0; i < 9; i++) {
            blocks[i] = three.blockOf(i / 3, i % 3);
            starts[i] = three.startsStreams(i / 3, i % 3);
        }
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0, 1, 2, 3}, blocks);
        assertTrue(starts[0] && starts[5]);
        assertFalse(starts[3], "epoch 1 continues the stream: its memory is carried");
        // more batches than one pass: the stream wraps inside an epoch
        StreamBatches seven = StreamBatches.continuing(STREAM, 2, 4, 7);
        assertEquals(7, seven.batchesPerEpoch());
        assertEquals(1, seven.blockOf(0, 6));
        assertEquals(4, seven.blockOf(1, 2)); // global batch 9
        assertEquals(5, StreamBatches.continuing(STREAM, 2, 4, 0).batchesPerEpoch());
        assertThrows(IndexOutOfBoundsException.class, () -> three.blockOf(0, 3));
    }

    @Test
    void aContinuedBatchHoldsTheTokensOfItsBlock() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch =
                    StreamBatches.continuing(STREAM, 2, 4, 3).getBatch(manager, 1, 1, 1); // block 4
            assertArrayEquals(
                    new int[] {16, 17, 18, 19, 37, 38, 39, 40},
                    batch.getData().head().toIntArray());
            assertArrayEquals(
                    new int[] {17, 18, 19, 20, 38, 39, 40, 41},
                    batch.getLabels().head().toIntArray());
        }
    }
}
