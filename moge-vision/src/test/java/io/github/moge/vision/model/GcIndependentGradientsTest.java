package io.github.moge.vision.model;

import static io.github.moge.core.testing.GcHostileGradients.assertGcIndependent;
import static io.github.moge.core.testing.GcHostileGradients.meanOfHead;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.github.moge.vision.preset.VisionPreset;
import org.junit.jupiter.api.Test;

/**
 * ViT-MoGE and SwinV2-/SwinV1-MoGE gradients do not depend on garbage collection between forward
 * and backward (see {@code GcHostileGradients}): attention scaling, SwinV2's cosine attention and
 * continuous position bias, the MoE layers and their losses.
 */
class GcIndependentGradientsTest {

    private static void check(String preset) {
        VisionPreset p = VisionPreset.get(preset);
        Block model = p.newModel(100);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            Shape input = p.inputShape(2);
            model.initialize(manager, DataType.FLOAT32, input);
            NDArray x = manager.randomUniform(0f, 1f, input);
            assertGcIndependent(model, manager, meanOfHead(model, m -> new NDList(x.duplicate())));
        }
    }

    @Test
    void vitMoge() {
        check("vit-moge-xs-fmnist");
    }

    @Test
    void swinV2Moge() {
        check("swinv2-moge-xs-fmnist");
    }
}
