package io.github.moge.vision.model.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.model.ModelChecks;
import io.github.moge.vision.model.TransformerLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

class VisionTransformerTest {

    private static VisionTransformer.Builder tiny() {
        return VisionTransformer.builder()
                .setImageSize(16)
                .setPatchSize(4)
                .setWidth(16)
                .setDepth(4)
                .setHeads(2)
                .setClasses(5)
                .optMlpRatio(2f);
    }

    @Test
    void denseShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(3, 3, 16, 16));
            NDArray images = manager.randomNormal(new Shape(3, 3, 16, 16));
            ParameterStore store = new ParameterStore(manager, false);
            NDList train = vit.forward(store, new NDList(images), true);
            assertEquals(1, train.size());
            assertEquals(new Shape(3, 5), train.head().getShape());
            assertEquals(new Shape(3, 5), vit.getOutputShapes(new Shape[] {images.getShape()})[0]);
            assertTrue(SigmaScheduleListener.findMoeBlocks(vit).isEmpty());
        }
    }

    @Test
    void vitMogeTrainingContractAndGradients() {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().optMoe(ModelChecks.moge()).build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            List<MoeBlock> moe = SigmaScheduleListener.findMoeBlocks(vit);
            assertEquals(2, moe.size());
            // The last two even-numbered blocks (1-based 2 and 4) hold the MoE layers.
            List<TransformerLayer> layers = vit.getLayers();
            assertEquals(List.of(false, true, false, true), layers.stream().map(TransformerLayer::isMoe).toList());
            assertEquals(List.of(1, 3), vit.getPlacement().getIndices());
            ModelChecks.checkTrainingContractAndGradients(
                    vit, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 5, 2, true);
        }
    }

    @Test
    void vitMoeEmitsBalanceTermsOnly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().optMoe(ModelChecks.moe()).optMoeLayers(List.of(0, 1, 3)).build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            assertEquals(3, SigmaScheduleListener.findMoeBlocks(vit).size());
            ModelChecks.checkTrainingContractAndGradients(
                    vit, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 5, 3, false);
        }
    }

    @Test
    void configurationErrorsAreExplained() {
        IllegalArgumentException patch =
                assertThrows(IllegalArgumentException.class, () -> tiny().setPatchSize(5).build());
        assertEquals("image size 16x16 is not divisible by the patch size 5", patch.getMessage());
        IllegalArgumentException heads =
                assertThrows(IllegalArgumentException.class, () -> tiny().setHeads(3).build());
        assertEquals("the number of heads (3) must divide the width (16)", heads.getMessage());
        IllegalArgumentException index =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> tiny().optMoe(ModelChecks.moe()).optMoeLayers(List.of(4)).build());
        assertEquals(
                "MoE placement index 4 is out of range: the model has 4 blocks (0..3)", index.getMessage());
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().build();
            assertThrows(
                    IllegalArgumentException.class,
                    () -> vit.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 32, 32)));
        }
    }
}
