package io.github.moge.examples.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.SettingsAssertions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * train-vision resolves its flags into one settings record, which config.json saves and --resume
 * restores.
 */
class VisionRunSettingsTest {

    private static TrainVisionCommand parse(String... args) {
        TrainVisionCommand command = new TrainVisionCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void everyFlagReachesTheSettingsAndRoundTripsThroughConfigJson() {
        VisionRunSettings defaults = parse().settings();
        VisionRunSettings s =
                parse(
                                "--preset",
                                "vit-moe-xs-fmnist",
                                "--data",
                                "/data/fmnist",
                                "--dataset",
                                "fmnist",
                                "--epochs",
                                "3",
                                "--experts",
                                "9",
                                "--top-k",
                                "1",
                                "--moge",
                                "--lambda",
                                "2",
                                "--load-form",
                                "tutel",
                                "--batch-size",
                                "8",
                                "--lr",
                                "2e-3",
                                "--min-lr",
                                "2e-5",
                                "--weight-decay",
                                "0.1",
                                "--warmup-epochs",
                                "0.5",
                                "--mixup",
                                "0.2",
                                "--cutmix",
                                "0.3",
                                "--label-smoothing",
                                "0.05",
                                "--random-erasing",
                                "0.25",
                                "--color-jitter",
                                "0.4",
                                "--auto-augment",
                                "rand-m7-mstd0.5",
                                "--flip",
                                "0.6",
                                "--crop-padding",
                                "2",
                                "--train-limit",
                                "16",
                                "--test-limit",
                                "32",
                                "--eval-batch-size",
                                "64",
                                "--seed",
                                "3",
                                "--upcycle-from",
                                "/runs/dense",
                                "--output",
                                "runs/x",
                                "--no-progress")
                        .settings();
        assertEquals(
                new VisionRunSettings(
                        "vit-moe-xs-fmnist",
                        Path.of("/data/fmnist"),
                        "fmnist",
                        3,
                        9,
                        1,
                        true,
                        2f,
                        "tutel",
                        8,
                        2e-3f,
                        2e-5f,
                        0.1f,
                        0.5f,
                        0.2f,
                        0.3f,
                        0.05f,
                        0.25f,
                        0.4f,
                        "rand-m7-mstd0.5",
                        0.6f,
                        2,
                        16,
                        32,
                        64,
                        3,
                        Path.of("/runs/dense")),
                s);
        RunConfiguration saved =
                SettingsAssertions.assertRoundTrip(
                        defaults,
                        s,
                        VisionRunSettings::toConfiguration,
                        VisionRunSettings::fromConfiguration);
        assertEquals("train-vision", saved.getString("command"));
        assertEquals(8, saved.getInt("batch_size"));
        assertEquals(1, saved.getInt("top_k"));
        assertEquals("tutel", saved.getString("load_form"));
        assertTrue(
                saved.keys().contains("warmup_epochs") && !saved.keys().contains("output"),
                saved.toJson());
        // unset options are saved as null: the preset's or recipe's value, resolved again on resume
        RunConfiguration unset = RunConfiguration.fromJson(defaults.toConfiguration().toJson());
        assertTrue(unset.keys().contains("epochs") && !unset.has("epochs"), unset.toJson());
        assertEquals(defaults, VisionRunSettings.fromConfiguration(unset));
        // a run saved before --upcycle-from existed lacks its key: it reads as not given
        RunConfiguration older = unset.without("upcycle_from");
        assertFalse(older.keys().contains("upcycle_from"));
        assertEquals(defaults, VisionRunSettings.fromConfiguration(older));
        assertTrue(older.differences(unset).isEmpty(), older.differences(unset).toString());
    }
}
