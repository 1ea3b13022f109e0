package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.SettingsAssertions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The invariance settings: immutable, and whole through config.json. */
class InvarianceSettingsTest {

    @Test
    void everySettingRoundTripsThroughConfigJson() {
        InvarianceSettings s =
                new InvarianceSettings()
                        .epochs(30)
                        .trainLimit(0)
                        .testLimit(500)
                        .dataDir(Path.of("/data/fmnist"))
                        .seed(7)
                        .lambda(0.01f)
                        .sigma(8f, 0.5f, 1f)
                        .filterSize(5)
                        .batchSize(100)
                        .learningRate(2e-3f)
                        .weightDecay(0.1f)
                        .warmupEpochs(1.5)
                        .experts(16, 8)
                        .evalBatchSize(250)
                        .inputNormalization(InputNormalization.GLOBAL)
                        .transforms(TransformProtocol.FIXED)
                        .progress(false);
        RunConfiguration saved =
                SettingsAssertions.assertRoundTrip(
                        new InvarianceSettings(),
                        s,
                        InvarianceSettings::toConfiguration,
                        InvarianceSettings::fromConfiguration);
        assertEquals("invariance", saved.getString("command"));
        assertEquals(8f, saved.getFloat("sigma_max"));
        assertTrue(!saved.keys().contains("progress"), "the progress display is not saved");
        assertTrue(
                InvarianceSettings.fromConfiguration(saved).progress,
                "a resumed run shows progress");
    }

    @Test
    void settersReturnCopiesAndTheDefaultWarmupIsSavedAsItsValue() {
        InvarianceSettings defaults = new InvarianceSettings();
        InvarianceSettings longer = defaults.epochs(30);
        assertNotSame(defaults, longer);
        assertEquals(InvarianceSettings.DEFAULT_EPOCHS, defaults.epochs);
        assertEquals(30, longer.epochs);
        assertEquals(2.0, longer.toConfiguration().getDouble("warmup_epochs"));
        assertEquals(
                2.0, InvarianceSettings.fromConfiguration(longer.toConfiguration()).warmupEpochs);
    }
}
