package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.SigmaSchedule;
import org.junit.jupiter.api.Test;

/** The published SMoGE settings: the group-sparse weight in both units and the two sigma schedules. */
class LmPresetTest {

    @Test
    void groupSparseWeightIsTheReferencesInBothUnits() {
        assertEquals(1e-5f, LmPreset.GROUP_SPARSE_LAMBDA_REFERENCE);
        assertEquals(9e-5f, LmPreset.GROUP_SPARSE_LAMBDA, 1e-12f);
        assertEquals(0.01f, LmPreset.AUX_WEIGHT);
        assertEquals(9e-7f, LmPreset.groupSparseWeight(LmPreset.GROUP_SPARSE_LAMBDA), 1e-13f);
        assertEquals(9e-7f, LmPreset.GROUP_SPARSE_WEIGHT, 1e-13f);
    }

    @Test
    void theLossTermEqualsTheReferencesOnAHandCase() {
        // Uniform routing over 16 experts on the 4 x 4 map: Z^2 = 1/256 in every cell, the normalised 3 x 3
        // Gaussian sums it to 1/256 at each of the P = 4 valid positions, so the reference's per-token L_gs
        // (no 1/f^2) is 4 * sqrt(1/256 + 1e-8) / 4 and its loss term 0.01 * 1e-5 * N * that.
        int tokens = 5;
        double perToken = Math.sqrt(1.0 / 256 + 1e-8);
        double reference = 0.01 * 1e-5 * tokens * perToken;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.full(new Shape(tokens, 16), 1f / 16);
            float gs = GroupSparseRegularizer.builder().setExperts(16).build().compute(z, 4f).getFloat();
            assertEquals(tokens * perToken / 9, gs, 1e-7);
            float term = LmPreset.groupSparseWeight(LmPreset.GROUP_SPARSE_LAMBDA) * gs;
            assertEquals(reference, term, 1e-6 * reference);
        }
    }

    @Test
    void sigmaSchedulesArePaperTable10AndTheReleasedScripts() {
        assertEquals(10f, LmSigmaSetting.PAPER.getMax());
        assertEquals(1.5f, LmSigmaSetting.PAPER.getMin());
        assertEquals(0.3f, LmSigmaSetting.PAPER.getPower());
        assertEquals(10f, LmSigmaSetting.RELEASED.getMax());
        assertEquals(1.0f, LmSigmaSetting.RELEASED.getMin());
        assertEquals(0.2f, LmSigmaSetting.RELEASED.getPower());
        SigmaSchedule paper = LmSigmaSetting.PAPER.schedule(1000);
        assertEquals(10f, paper.getNewValue(0));
        // halfway: 10 - 8.5 * 0.5^0.3
        assertEquals(10 - 8.5 * Math.pow(0.5, 0.3), paper.getNewValue(500), 1e-5);
        assertEquals(1.5f, paper.getNewValue(1000));
        assertEquals(10 - 9 * Math.pow(0.5, 0.2), LmSigmaSetting.RELEASED.schedule(1000).getNewValue(500), 1e-5);
        assertEquals("released", LmSigmaSetting.RELEASED.cliName());
    }
}
