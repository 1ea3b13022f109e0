package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The band extraction behind the relative attention, on hand-written matrices. */
class RelativeMemoryAttentionTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void unskewTakesTheSpanBeforeEachQuery() {
        // M = 2 queries, L = 3 memory slots: scores over L + M = 5 keys, entry = 10 * query + key
        NDArray scores =
                manager.create(new float[] {0, 1, 2, 3, 4, 10, 11, 12, 13, 14}).reshape(1, 2, 5);
        NDArray band = RelativeMemoryAttention.unskew(scores, 3);
        // query 0 (concat index 3) sees keys 0,1,2; query 1 (index 4) sees keys 1,2,3: never itself
        assertArrayEquals(new float[] {0, 1, 2, 11, 12, 13}, band.toFloatArray());
    }

    @Test
    void skewPutsTheBandBackWithZerosElsewhere() {
        NDArray band = manager.create(new float[] {1, 2, 3, 4, 5, 6}).reshape(1, 2, 3);
        NDArray full = RelativeMemoryAttention.skew(band);
        assertArrayEquals(new float[] {1, 2, 3, 0, 0, 0, 4, 5, 6, 0}, full.toFloatArray());
        assertArrayEquals(
                band.toFloatArray(), RelativeMemoryAttention.unskew(full, 3).toFloatArray());
    }
}
