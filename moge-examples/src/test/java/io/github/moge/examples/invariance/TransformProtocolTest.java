package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.vision.transform.AffineTransform;
import io.github.moge.vision.transform.InvarianceTransforms;
import io.github.moge.vision.transform.RandomAffine;
import org.junit.jupiter.api.Test;

/**
 * The invariance run measures with the paper's random transforms by default; the choice is saved.
 */
class TransformProtocolTest {

    @Test
    void thePapersProtocolIsTheDefaultAndIsSavedWithTheRun() {
        InvarianceSettings s = new InvarianceSettings().seed(5);
        assertSame(TransformProtocol.PAPER, s.transforms);
        assertTrue(s.transforms.transforms(5).get(0).getWarp() instanceof RandomAffine);
        assertTrue(
                TransformProtocol.FIXED.transforms(5).get(0).getWarp() instanceof AffineTransform);
        assertSame(InvarianceTransforms.all(), TransformProtocol.FIXED.transforms(5));
        assertTrue(s.describe().contains("transforms paper"), s.describe());

        RunConfiguration saved = s.transforms(TransformProtocol.FIXED).toConfiguration();
        assertEquals("FIXED", saved.getString("transforms"));
        assertSame(TransformProtocol.FIXED, InvarianceSettings.fromConfiguration(saved).transforms);
        assertSame(
                TransformProtocol.PAPER,
                InvarianceSettings.fromConfiguration(new InvarianceSettings().toConfiguration())
                        .transforms);
        // a configuration without the choice (written before it existed) is refused, not guessed
        String old = saved.toJson().replaceAll(",\\s*\"transforms\": \"FIXED\"", "");
        assertTrue(!old.contains("transforms") && old.contains("input_normalization"), old);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> InvarianceSettings.fromConfiguration(RunConfiguration.fromJson(old)));
        assertTrue(
                e.getMessage().contains("has no transforms")
                        && e.getMessage().contains("start a new run"),
                e.getMessage());
    }
}
