package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The published SMoGE settings: the group-sparse weight in both units and the two sigma schedules;
 * the models {@link LmPreset#newModel(int, int, LmPreset.Overrides)} builds with and without
 * overrides.
 */
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
        // Uniform routing over 16 experts on the 4 x 4 map: Z^2 = 1/256 in every cell, the
        // normalised 3 x 3
        // Gaussian sums it to 1/256 at each of the P = 4 valid positions, so the reference's
        // per-token L_gs
        // (no 1/f^2) is 4 * sqrt(1/256 + 1e-8) / 4 and its loss term 0.01 * 1e-5 * N * that.
        int tokens = 5;
        double perToken = Math.sqrt(1.0 / 256 + 1e-8);
        double reference = 0.01 * 1e-5 * tokens * perToken;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.full(new Shape(tokens, 16), 1f / 16);
            float gs =
                    GroupSparseRegularizer.builder()
                            .setExperts(16)
                            .build()
                            .compute(z, 4f)
                            .getFloat();
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
        assertEquals(
                10 - 9 * Math.pow(0.5, 0.2),
                LmSigmaSetting.RELEASED.schedule(1000).getNewValue(500),
                1e-5);
        assertEquals("released", LmSigmaSetting.RELEASED.cliName());
    }

    private static final int VOCABULARY = 50;
    private static final int STEPS = 100;

    @Test
    void noOverrideIsThePresetsArchitectureWithThePaperSchedule() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (LmPreset preset :
                    List.of(
                            LmPreset.SMOGE_SMALL,
                            LmPreset.MOMENTUM_SMOE_SMALL,
                            LmPreset.DENSE_SMALL)) {
                List<Pair<String, float[]>> expected =
                        initialValues(
                                preset.modelBuilder(
                                                VOCABULARY, LmSigmaSetting.PAPER.schedule(STEPS))
                                        .build(),
                                manager);
                assertSame(
                        expected,
                        initialValues(preset.newModel(VOCABULARY, STEPS), manager),
                        preset);
                // The overrides a command passes when it changes nothing: the same model.
                LmPreset.Overrides unchanged =
                        LmPreset.Overrides.NONE
                                .withLayers(preset.getLayers())
                                .withWidth(preset.getWidth())
                                .withHiddenSize(preset.getHiddenSize())
                                .withSpan(preset.getSpan())
                                .withTopK(preset.getTopK())
                                .withDropout(preset.getDropout())
                                .withSwitchBalance(false)
                                .withSigma(SigmaSchedule.LM_PAPER);
                assertSame(
                        expected,
                        initialValues(preset.newModel(VOCABULARY, STEPS, unchanged), manager),
                        preset);
            }
        }
    }

    @Test
    void eachOverrideIsVisibleInTheBuiltModel() {
        LmPreset preset = LmPreset.SMOGE_SMALL;
        assertEquals(
                2,
                preset.newModel(VOCABULARY, STEPS, LmPreset.Overrides.NONE.withLayers(2))
                        .getLayerCount());
        assertEquals(
                64,
                preset.newModel(VOCABULARY, STEPS, LmPreset.Overrides.NONE.withWidth(64))
                        .getWidth());
        assertEquals(
                32,
                preset.newModel(VOCABULARY, STEPS, LmPreset.Overrides.NONE.withSpan(32)).getSpan());
        for (MoeBlock layer :
                moeLayers(
                        preset.newModel(VOCABULARY, STEPS, LmPreset.Overrides.NONE.withTopK(1)))) {
            assertEquals(1, layer.getRouter().getTopK());
        }
        List<MoeBlock> plain = moeLayers(preset.newModel(VOCABULARY, STEPS));
        assertEquals(preset.getLayers(), plain.size());
        for (MoeBlock layer : plain) {
            assertEquals(LmPreset.TOP_K, layer.getRouter().getTopK());
            assertNull(layer.getBalanceLoss());
            assertNotNull(layer.getRegularizer());
            layer.setScheduleStep(STEPS / 2);
            assertEquals(
                    SigmaSchedule.LM_PAPER.over(STEPS).getNewValue(STEPS / 2), layer.getSigma());
        }
        for (MoeBlock layer :
                moeLayers(
                        preset.newModel(
                                VOCABULARY,
                                STEPS,
                                LmPreset.Overrides.NONE.withSwitchBalance(true)))) {
            assertNotNull(layer.getBalanceLoss());
        }
        for (MoeBlock layer :
                moeLayers(
                        preset.newModel(
                                VOCABULARY,
                                STEPS,
                                LmPreset.Overrides.NONE.withSigma(
                                        LmSigmaSetting.RELEASED.getSetting())))) {
            layer.setScheduleStep(STEPS / 2);
            assertEquals(
                    LmSigmaSetting.RELEASED.schedule(STEPS).getNewValue(STEPS / 2),
                    layer.getSigma());
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            MoeTransformerLm hidden =
                    preset.newModel(
                            VOCABULARY,
                            STEPS,
                            LmPreset.Overrides.NONE.withHiddenSize(24).withLayers(1));
            hidden.initialize(manager, DataType.FLOAT32, hidden.inputShapes(2, 4));
            boolean seen = false;
            for (Pair<String, Parameter> p :
                    moeLayers(hidden).get(0).getExperts().getParameters()) {
                Shape shape = p.getValue().getArray().getShape();
                seen |= shape.dimension() == 3 && (shape.get(1) == 24 || shape.get(2) == 24);
            }
            assertEquals(true, seen, "an expert weight of hidden width 24");
        }
        // The dropout reaches the layers: without it a training pass computes what evaluation does.
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray tokens = manager.arange(8).reshape(2, 4).toType(DataType.INT32, false);
            assertEquals(
                    0f,
                    trainMinusEval(
                            preset.newModel(
                                    VOCABULARY,
                                    STEPS,
                                    LmPreset.Overrides.NONE.withDropout(0f).withLayers(1)),
                            manager,
                            tokens),
                    0f);
            assertNotEquals(
                    0f,
                    trainMinusEval(
                            preset.newModel(
                                    VOCABULARY, STEPS, LmPreset.Overrides.NONE.withLayers(1)),
                            manager,
                            tokens),
                    "the preset's dropout 0.7");
        }
    }

    private static float trainMinusEval(MoeTransformerLm model, NDManager manager, NDArray tokens) {
        model.initialize(manager, DataType.FLOAT32, model.inputShapes(2, 4));
        ParameterStore store = new ParameterStore(manager, false);
        NDList memory = model.initialMemory(manager, 2);
        NDArray train = model.forward(store, new NDList(tokens).addAll(memory), true).head();
        NDArray eval = model.forward(store, new NDList(tokens).addAll(memory), false).head();
        return train.sub(eval).abs().max().getFloat();
    }

    private static List<MoeBlock> moeLayers(MoeTransformerLm model) {
        return SigmaScheduleListener.findMoeBlocks(model);
    }

    private static List<Pair<String, float[]>> initialValues(
            MoeTransformerLm model, NDManager manager) {
        Engine.getInstance().setRandomSeed(3);
        model.initialize(manager, DataType.FLOAT32, model.inputShapes(2, 4));
        List<Pair<String, float[]>> values = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            values.add(new Pair<>(p.getKey(), p.getValue().getArray().toFloatArray()));
        }
        return values;
    }

    private static void assertSame(
            List<Pair<String, float[]>> expected,
            List<Pair<String, float[]>> actual,
            LmPreset preset) {
        assertEquals(expected.size(), actual.size(), preset.cliName());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).getKey(), actual.get(i).getKey(), preset.cliName());
            assertArrayEquals(
                    expected.get(i).getValue(),
                    actual.get(i).getValue(),
                    preset.cliName() + " " + expected.get(i).getKey());
        }
    }
}
