package io.github.moge.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.SettingsAssertions;
import io.github.moge.lm.model.LmInitialization;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.LmSigmaSetting;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The run-defining LM settings: published defaults, and what config.json saves and --resume
 * restores.
 */
class LmRunSettingsTest {

    private static final Path CORPUS = Path.of("brown");

    private static final LmRunSettings.Source BROWN = LmRunSettings.Source.BROWN;

    @Test
    void smogeDefaultsAreThePublishedValues() {
        LmRunSettings s = LmRunSettings.defaults(LmPreset.SMOGE_SMALL, BROWN, CORPUS).build();
        assertEquals(9e-5f, s.lambda(), 1e-12f);
        assertEquals(9e-7f, s.groupSparseWeight(), 1e-13f);
        assertEquals(10f, s.sigmaMax());
        assertEquals(1.5f, s.sigmaMin());
        assertEquals(0.3f, s.sigmaPower());
        assertEquals(0, s.batchesPerEpoch());
        assertEquals(
                0f,
                LmRunSettings.defaults(LmPreset.SMOE_SMALL, BROWN, CORPUS)
                        .build()
                        .groupSparseWeight());
    }

    @Test
    void sigmaLambdaAndEpochLengthSurviveTheSavedConfiguration() {
        LmRunSettings.Builder b = LmRunSettings.defaults(LmPreset.SMOGE_MEDIUM, BROWN, CORPUS);
        b.sigma(LmSigmaSetting.RELEASED);
        b.batchesPerEpoch = 1000;
        b.epochs = 80;
        b.lambda = 2e-4f;
        LmRunSettings s = b.build();
        RunConfiguration saved = RunConfiguration.fromJson(s.toConfiguration().toJson());
        assertEquals(1.0f, saved.getFloat("sigma_min"));
        assertEquals(0.01f, saved.getFloat("aux_weight"));
        LmRunSettings back = LmRunSettings.fromConfiguration(saved);
        assertEquals(10f, back.sigmaMax());
        assertEquals(1.0f, back.sigmaMin());
        assertEquals(0.2f, back.sigmaPower());
        assertEquals(1000, back.batchesPerEpoch());
        assertEquals(2e-6f, back.groupSparseWeight(), 1e-12f);
        assertEquals(s.toConfiguration().toJson(), back.toConfiguration().toJson());
    }

    @Test
    void everySettingRoundTripsThroughConfigJson() {
        LmRunSettings.Builder b =
                LmRunSettings.defaults(LmPreset.SMOE_SMALL, LmRunSettings.Source.WIKITEXT, CORPUS);
        LmRunSettings defaults = b.build();
        b.preset = LmPreset.SMOGE_MEDIUM;
        b.source = BROWN;
        b.corpusPath = Path.of("/data/brown");
        b.lowercase = true;
        b.epochs = 80;
        b.batch = 7;
        b.block = 9;
        b.span = 11;
        b.layers = 2;
        b.width = 64;
        b.hidden = 48;
        b.topK = 3;
        b.dropout = 0.3f;
        b.learningRate = 5e-4f;
        b.warmup = 13;
        b.lambda = 2e-4f;
        b.auxWeight = 0.02f;
        b.sigma(LmSigmaSetting.RELEASED);
        b.sigmaMax = 9f;
        b.balance = 0.01f;
        b.expertActivation = ExpertActivation.GELU;
        b.routerBias = false;
        b.initialization = LmInitialization.DJL;
        b.evalBatch = 5;
        b.maxStepsPerEpoch = 17;
        b.batchesPerEpoch = 1000;
        b.evalLimit = 100;
        b.seed = 4;
        LmRunSettings s = b.build();
        RunConfiguration saved =
                SettingsAssertions.assertRoundTrip(
                        defaults,
                        s,
                        LmRunSettings::toConfiguration,
                        LmRunSettings::fromConfiguration);
        assertEquals(s, LmRunSettings.fromConfiguration(saved));
        assertEquals("train-lm", saved.getString("command"));
        assertEquals(3, saved.getInt("top_k"));
        assertEquals("GELU", saved.getString("expert_activation"));
        assertEquals("DJL", saved.getString("initialization"));
        assertEquals("/data/brown", saved.getString("corpus_path"));
    }

    @Test
    void aConfigurationFromBeforeTheConventionIsRefused() {
        String json =
                LmRunSettings.defaults(LmPreset.SMOGE_SMALL, BROWN, CORPUS)
                        .build()
                        .toConfiguration()
                        .toJson();
        String old =
                json.lines()
                        .filter(l -> !l.contains("\"sigma_max\"") && !l.contains("\"aux_weight\""))
                        .collect(Collectors.joining("\n"));
        assertTrue(json.contains("\"sigma_max\"") && !old.contains("sigma_max"), old);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LmRunSettings.fromConfiguration(RunConfiguration.fromJson(old)));
        assertTrue(e.getMessage().contains("start a new run"), e.getMessage());
    }
}
