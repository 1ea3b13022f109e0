package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.vision.transform.AffineTransform;
import io.github.moge.vision.transform.InvarianceTransforms;
import io.github.moge.vision.transform.RandomAffine;
import org.junit.jupiter.api.Test;

/** The invariance run measures with the paper's random transforms by default; the choice is saved. */
class TransformProtocolTest {

    @Test
    void thePapersProtocolIsTheDefaultAndIsSavedWithTheRun() {
        InvarianceSettings s = new InvarianceSettings().seed(5);
        assertSame(TransformProtocol.PAPER, s.transforms);
        assertTrue(s.transforms.transforms(5).get(0).getWarp() instanceof RandomAffine);
        assertTrue(TransformProtocol.FIXED.transforms(5).get(0).getWarp() instanceof AffineTransform);
        assertSame(InvarianceTransforms.all(), TransformProtocol.FIXED.transforms(5));
        assertTrue(s.describe().contains("transforms paper"), s.describe());

        RunConfiguration saved = s.transforms(TransformProtocol.FIXED).toConfiguration();
        assertEquals("FIXED", saved.getString("transforms"));
        assertSame(TransformProtocol.FIXED, InvarianceSettings.fromConfiguration(saved).transforms);
        assertSame(TransformProtocol.PAPER, InvarianceSettings.fromConfiguration(
                new InvarianceSettings().toConfiguration()).transforms);
        // a run saved before the choice existed was measured with the fixed-maximum transforms
        String old = saved.toJson().replaceAll(",\\s*\"transforms\": \"FIXED\"", "");
        assertTrue(!old.contains("transforms") && old.contains("inputNormalization"), old);
        assertSame(TransformProtocol.FIXED, InvarianceSettings.fromConfiguration(RunConfiguration.fromJson(old))
                .transforms);
    }
}
