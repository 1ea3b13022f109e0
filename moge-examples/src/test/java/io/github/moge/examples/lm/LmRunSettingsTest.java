package io.github.moge.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.LmSigmaSetting;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The run-defining LM settings: published defaults, and what config.json saves and --resume restores. */
class LmRunSettingsTest {

    private static final Path CORPUS = Path.of("brown");

    @Test
    void smogeDefaultsAreThePublishedValues() {
        LmRunSettings s = LmRunSettings.of(LmPreset.SMOGE_SMALL, LmRunSettings.Source.BROWN, CORPUS);
        assertEquals(9e-5f, s.lambda, 1e-12f);
        assertEquals(9e-7f, s.groupSparseWeight(), 1e-13f);
        assertEquals(10f, s.sigmaMax);
        assertEquals(1.5f, s.sigmaMin);
        assertEquals(0.3f, s.sigmaPower);
        assertEquals(0, s.batchesPerEpoch);
        assertEquals(0f, LmRunSettings.of(LmPreset.SMOE_SMALL, LmRunSettings.Source.BROWN, CORPUS)
                .groupSparseWeight());
    }

    @Test
    void sigmaLambdaAndEpochLengthSurviveTheSavedConfiguration() {
        LmRunSettings s = LmRunSettings.of(LmPreset.SMOGE_MEDIUM, LmRunSettings.Source.BROWN, CORPUS);
        s.sigma(LmSigmaSetting.RELEASED);
        s.batchesPerEpoch = 1000;
        s.epochs = 80;
        s.lambda = 2e-4f;
        RunConfiguration saved = RunConfiguration.fromJson(s.toConfiguration().toJson());
        assertEquals(1.0f, saved.getFloat("sigma_min"));
        assertEquals(0.01f, saved.getFloat("aux_weight"));
        LmRunSettings back = LmRunSettings.fromConfiguration(saved);
        assertEquals(10f, back.sigmaMax);
        assertEquals(1.0f, back.sigmaMin);
        assertEquals(0.2f, back.sigmaPower);
        assertEquals(1000, back.batchesPerEpoch);
        assertEquals(2e-6f, back.groupSparseWeight(), 1e-12f);
        assertEquals(s.toConfiguration().toJson(), back.toConfiguration().toJson());
    }

    @Test
    void aConfigurationFromBeforeTheConventionIsRefused() {
        String json = LmRunSettings.of(LmPreset.SMOGE_SMALL, LmRunSettings.Source.BROWN, CORPUS)
                .toConfiguration().toJson();
        String old = json.lines().filter(l -> !l.contains("\"sigma_max\"") && !l.contains("\"aux_weight\""))
                .collect(Collectors.joining("\n"));
        assertTrue(json.contains("\"sigma_max\"") && !old.contains("sigma_max"), old);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LmRunSettings.fromConfiguration(RunConfiguration.fromJson(old)));
        assertTrue(e.getMessage().contains("start a new run"), e.getMessage());
    }
}
