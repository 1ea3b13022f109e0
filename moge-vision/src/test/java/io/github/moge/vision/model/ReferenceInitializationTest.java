package io.github.moge.vision.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import io.github.moge.vision.model.vit.VisionTransformer;
import io.github.moge.vision.preset.VisionPreset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reference initialisation on every vision preset: the configured initialisers of all presets,
 * and the weight statistics after initialisation of the small ones (the 32-expert ImageNet models
 * take minutes to draw on a CPU; they are built from the same layers).
 */
class ReferenceInitializationTest {

    /**
     * Initialised for real: three dense published presets, and the small Fashion-MNIST MoE/MoGE
     * models of both families with the reference initialisation set explicitly (they keep DJL's
     * defaults as presets).
     */
    private static final List<String> MEASURED =
            List.of(
                    "vit-s-cifar100",
                    "swinv2-t-cifar100",
                    "swinv1-t-imagenet",
                    "vit-moge-xs-fmnist",
                    "swinv2-moe-xs-fmnist",
                    "swinv2-moge-xs-fmnist");

    @Test
    void everyPresetConfiguresTheReferenceInitialisers() {
        for (VisionPreset preset : VisionPreset.all()) {
            Block model = preset.newModel(10);
            if (!preset.usesReferenceInitialization()) {
                assertTrue(
                        preset.getName().endsWith("-xs-fmnist"),
                        preset.getName() + " is a published preset");
                continue;
            }
            int zeroNorms = 0;
            for (Pair<String, Parameter> pair : model.getParameters()) {
                String where = preset.getName() + " " + pair.getKey();
                Parameter p = pair.getValue();
                Initializer init = p.getInitializer();
                switch (p.getType()) {
                    case WEIGHT -> {
                        assertTrue(init instanceof TruncatedNormalInitializer, where);
                        assertEquals(0.02f, ((TruncatedNormalInitializer) init).getStd(), where);
                    }
                    case BIAS, BETA -> assertSame(Initializer.ZEROS, init, where);
                    case GAMMA -> {
                        assertTrue(init == Initializer.ONES || init == Initializer.ZEROS, where);
                        zeroNorms += init == Initializer.ZEROS ? 1 : 0;
                    }
                    default -> assertTrue(init != null, where);
                }
            }
            assertEquals(expectedZeroNorms(preset), zeroNorms, preset.getName());
        }
    }

    /** Swin V2: the two residual post-norms of every block start at 0; nothing else does. */
    private static int expectedZeroNorms(VisionPreset preset) {
        return preset.getFamily() == VisionPreset.Family.SWIN_V2
                ? 2 * Arrays.stream(preset.getDepths()).sum()
                : 0;
    }

    @Test
    void initialisedPresetsHaveTheReferenceStatistics() {
        Engine.getInstance().setRandomSeed(11);
        for (String name : MEASURED) {
            VisionPreset preset = VisionPreset.get(name);
            try (NDManager manager = NDManager.newBaseManager()) {
                Block model = ReferenceInitialization.apply(preset.newModel(10));
                model.initialize(manager, DataType.FLOAT32, preset.inputShape(1));
                int weights = 0;
                int zeroNorms = 0;
                int classTokens = 0;
                for (Pair<String, Parameter> pair : model.getParameters()) {
                    String where = name + " " + pair.getKey();
                    Parameter p = pair.getValue();
                    NDArray a = p.getArray();
                    switch (p.getType()) {
                        case WEIGHT -> {
                            assertNormal(a, 0.02, where);
                            weights++;
                        }
                        case BIAS, BETA -> assertEquals(0f, a.abs().max().getFloat(), where);
                        case GAMMA -> {
                            float min = a.min().getFloat();
                            float max = a.max().getFloat();
                            assertTrue(
                                    min == max && (min == 1f || min == 0f),
                                    where + ": " + min + ".." + max);
                            zeroNorms += min == 0f ? 1 : 0;
                        }
                        default -> {
                            if (pair.getKey().endsWith("cls_token")) {
                                assertNormal(a, VisionTransformer.CLASS_TOKEN_STD, where);
                                classTokens++;
                            }
                        }
                    }
                }
                assertTrue(weights > 10, name);
                assertEquals(expectedZeroNorms(preset), zeroNorms, name);
                assertEquals(
                        preset.getFamily() == VisionPreset.Family.VIT ? 1 : 0, classTokens, name);
            }
        }
    }

    /** Mean 0 and the given std within six standard errors, nothing beyond 6 std. */
    private static void assertNormal(NDArray a, double std, String where) {
        long n = a.size();
        double mean = a.mean().getFloat();
        double sd = Math.sqrt(a.sub(mean).square().mean().getFloat());
        assertTrue(Math.abs(mean) < 6 * std / Math.sqrt(n), where + " mean " + mean);
        assertEquals(std, sd, 6 * std / Math.sqrt(2.0 * n) + 1e-3 * std, where + " std");
        assertTrue(a.abs().max().getFloat() < 6.5 * std, where + " max");
    }

    @Test
    void boundsTruncateAndBadSettingsAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a =
                    new TruncatedNormalInitializer(1f, -0.5f, 1f)
                            .initialize(manager, new Shape(20_000), DataType.FLOAT32);
            assertTrue(a.min().getFloat() >= -0.5f && a.max().getFloat() <= 1f);
            // the mean of N(0, 1) truncated to [-0.5, 1]: (phi(-0.5) - phi(1)) / (Phi(1) -
            // Phi(-0.5))
            double expected = (0.3520653 - 0.2419707) / (0.8413447 - 0.3085375);
            assertEquals(expected, a.mean().getFloat(), 0.01);
        }
        assertThrows(
                IllegalArgumentException.class, () -> new TruncatedNormalInitializer(0f, -2f, 2f));
        assertThrows(
                IllegalArgumentException.class,
                () -> new TruncatedNormalInitializer(0.02f, 0.1f, 2f));
    }
}
