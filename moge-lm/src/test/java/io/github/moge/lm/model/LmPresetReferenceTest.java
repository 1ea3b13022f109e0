package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.experts.StackedExperts;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The presets use the reference's experts (ReLU, then dropout), router bias and initialisation
 * (docs/lm.md, "Initialisation"), and each can be overridden.
 */
class LmPresetReferenceTest {

    private static final int VOCABULARY = 50;
    private static final int STEPS = 100;

    @Test
    void presetsUseTheReferencesChoices() {
        assertEquals(ExpertActivation.RELU, LmPreset.EXPERT_ACTIVATION);
        assertEquals(true, LmPreset.ROUTER_BIAS);
        assertEquals(LmInitialization.TORCH, LmPreset.INITIALIZATION);
        for (LmPreset preset : List.of(LmPreset.SMOGE_SMALL, LmPreset.ADAM_SMOE_MEDIUM)) {
            List<MoeBlock> layers = moeLayers(preset.newModel(VOCABULARY, STEPS));
            assertEquals(preset.getLayers(), layers.size());
            for (MoeBlock layer : layers) {
                assertEquals(ExpertActivation.RELU, layer.getExperts().getActivation());
                assertNotNull(layer.getRouter().getBias());
            }
        }
        List<StackedExperts> dense = experts(LmPreset.DENSE_SMALL.newModel(VOCABULARY, STEPS));
        assertEquals(LmPreset.DENSE_SMALL.getLayers(), dense.size());
        assertEquals(ExpertActivation.RELU, dense.get(0).getActivation());
    }

    @Test
    void overridesRestoreTheLibraryDefaults() {
        LmPreset.Overrides library =
                LmPreset.Overrides.NONE
                        .withExpertActivation(ExpertActivation.GELU)
                        .withRouterBias(false)
                        .withInitialization(LmInitialization.DJL);
        for (MoeBlock layer : moeLayers(LmPreset.SMOE_SMALL.newModel(VOCABULARY, STEPS, library))) {
            assertEquals(ExpertActivation.GELU, layer.getExperts().getActivation());
            assertNull(layer.getRouter().getBias());
        }
        // The library's initialisation through the overrides is the builder's default.
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] overridden =
                    outputWeight(LmPreset.SMOE_SMALL.newModel(VOCABULARY, STEPS, library), manager);
            float[] builderDefault =
                    outputWeight(
                            LmPreset.SMOE_SMALL
                                    .modelBuilder(VOCABULARY, null)
                                    .optExpertActivation(ExpertActivation.GELU)
                                    .optRouterBias(false)
                                    .optInitialization(LmInitialization.DJL)
                                    .build(),
                            manager);
            assertArrayEquals(builderDefault, overridden, 0f);
            float[] reference =
                    outputWeight(LmPreset.SMOE_SMALL.newModel(VOCABULARY, STEPS), manager);
            double bound = 1.0 / Math.sqrt(LmPreset.SMOE_SMALL.getWidth());
            for (float v : reference) {
                assertTrue(Math.abs(v) <= bound);
            }
        }
    }

    private static float[] outputWeight(MoeTransformerLm model, NDManager manager) {
        Engine.getInstance().setRandomSeed(7);
        model.initialize(manager, DataType.FLOAT32, model.inputShapes(2, 4));
        for (Pair<String, Parameter> pair : model.getParameters()) {
            if (pair.getKey().endsWith("output_weight")) {
                return pair.getValue().getArray().toFloatArray();
            }
        }
        throw new AssertionError("no output weight");
    }

    private static List<MoeBlock> moeLayers(Block block) {
        List<MoeBlock> found = new ArrayList<>();
        collect(block, MoeBlock.class, found);
        return found;
    }

    private static List<StackedExperts> experts(Block block) {
        List<StackedExperts> found = new ArrayList<>();
        collect(block, StackedExperts.class, found);
        return found;
    }

    private static <T> void collect(Block block, Class<T> type, List<T> found) {
        if (type.isInstance(block)) {
            found.add(type.cast(block));
            return;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), type, found);
        }
    }
}
