package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopographicMapTest {

    @ParameterizedTest
    @CsvSource({
        "8,2,4",
        "16,4,4",
        "32,4,8",
        "64,8,8",
        "128,8,16",
        "400,20,20",
        "7,1,7",
        "1,1,1",
        "12,3,4"
    })
    void mostSquareFactorisation(int experts, int rows, int cols) {
        TopographicMap map = TopographicMap.forExperts(experts);
        assertEquals(rows, map.rows());
        assertEquals(cols, map.cols());
        assertEquals(experts, map.size());
    }

    @Test
    void validPositions() {
        assertEquals(1, TopographicMap.of(3, 3).validPositions(3));
        assertEquals(2 * 6, TopographicMap.forExperts(32).validPositions(3));
        assertEquals(18 * 18, TopographicMap.forExperts(400).validPositions(3));
    }

    @Test
    void primeExpertCountCannotHoldFilter() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TopographicMap.forExperts(7).requireFits(3));
        assertTrue(e.getMessage().contains("E=7"), e.getMessage());
        assertTrue(e.getMessage().contains("1 x 7"), e.getMessage());
        assertTrue(e.getMessage().contains("3 x 3 filter"), e.getMessage());
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> TopographicMap.forExperts(0));
        assertThrows(IllegalArgumentException.class, () -> TopographicMap.of(0, 4));
        assertThrows(IllegalArgumentException.class, () -> TopographicMap.of(4, -1));
    }
}
