package io.github.moge.vision.model.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.model.ModelChecks;
import io.github.moge.vision.model.MoePlacement;
import io.github.moge.vision.model.TransformerLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwinTransformerTest {

    private static SwinTransformer.Builder tiny(SwinVersion version) {
        return SwinTransformer.builder()
                .optVersion(version)
                .setImageSize(16)
                .setPatchSize(2)
                .setEmbedDim(8)
                .setDepths(2, 2)
                .setHeads(1, 2)
                .setWindowSize(4)
                .setClasses(6)
                .optMlpRatio(2f);
    }

    @Test
    void denseShapesV1AndV2() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (SwinVersion version : SwinVersion.values()) {
                SwinTransformer swin = tiny(version).build();
                swin.initialize(manager, DataType.FLOAT32, new Shape(3, 3, 16, 16));
                NDArray images = manager.randomNormal(new Shape(3, 3, 16, 16));
                NDList out = swin.forward(new ParameterStore(manager, false), new NDList(images), true);
                assertEquals(1, out.size());
                assertEquals(new Shape(3, 6), out.head().getShape());
                // Stage 0 (8x8, window 4) alternates shift 0 and 2; stage 1 (4x4) shrinks to one window.
                List<TransformerLayer> layers = swin.getLayers();
                int[] shifts = layers.stream().mapToInt(l -> ((ShiftedWindowAttention) l.getAttention()).getShift()).toArray();
                assertArrayEquals(new int[] {0, 2, 0, 0}, shifts);
            }
        }
    }

    @Test
    void swinV2MogeTrainingContractAndGradients() {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin = tiny(SwinVersion.V2).optMoe(ModelChecks.moge()).build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            assertEquals(List.of(1, 3), swin.getPlacement().getIndices());
            assertEquals(2, SigmaScheduleListener.findMoeBlocks(swin).size());
            ModelChecks.checkTrainingContractAndGradients(
                    swin, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 6, 2, true);
        }
    }

    @Test
    void swinV1MoeTrainingContractAndGradients() {
        Engine.getInstance().setRandomSeed(12);
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin =
                    tiny(SwinVersion.V1).optMoe(ModelChecks.moe()).optMoeLayers(List.of(1, 2, 3)).build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            assertEquals(3, SigmaScheduleListener.findMoeBlocks(swin).size());
            ModelChecks.checkTrainingContractAndGradients(
                    swin, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 6, 3, false);
        }
    }

    @Test
    void paddingLetsAWindowThatDoesNotTileTheMapRun() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> tiny(SwinVersion.V2).setWindowSize(3).build());
        assertEquals(
                "window size 3 does not divide the 8x8 feature map (pad it with padToWindow, or choose another window)",
                e.getMessage());
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin = tiny(SwinVersion.V2).setWindowSize(3).optPadToWindow(true).build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            NDArray out =
                    swin.forward(new ParameterStore(manager, false), new NDList(manager.randomNormal(new Shape(2, 3, 16, 16))), false)
                            .head();
            assertEquals(new Shape(2, 6), out.getShape());
            assertEquals(0, out.isNaN().sum().getLong());
        }
    }

    @Test
    void placementsOfThePaper() {
        int[] depths = {2, 2, 6, 2};
        assertEquals(List.of(5, 7, 9, 11), MoePlacement.alternateInLastStages(depths, 2).getIndices());
        assertEquals(List.of(9, 11), MoePlacement.lastBlockOfLastStages(depths, 2).getIndices());
        assertEquals(List.of(5, 7), MoePlacement.lastEven(8, 2).getIndices());
        IllegalArgumentException heads =
                assertThrows(IllegalArgumentException.class, () -> tiny(SwinVersion.V2).setHeads(3, 2).build());
        assertEquals("the number of heads (3) must divide the width (8)", heads.getMessage());
        IllegalArgumentException index =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> tiny(SwinVersion.V2).optMoe(ModelChecks.moe()).optMoeLayers(List.of(0, 4)).build());
        assertEquals("MoE placement index 4 is out of range: the model has 4 blocks (0..3)", index.getMessage());
    }
}
