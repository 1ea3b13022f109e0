package io.github.moge.vision.preset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.model.ModelChecks;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class VisionPresetTest {

    @Test
    void theIssuesPresetsExist() {
        List<String> names = VisionPreset.names();
        assertEquals(names.size(), new HashSet<>(names).size());
        for (String name :
                List.of(
                        "vit-moge-s-cifar100",
                        "vit-moe-s-cifar100",
                        "vit-s-cifar100",
                        "swinv2-moge-t-cifar100",
                        "swinv2-moe-t-cifar100",
                        "swinv2-t-cifar100",
                        "vit-moge-s-tinyimagenet",
                        "swinv2-moge-t-tinyimagenet",
                        "vit-moge-s-imagenet",
                        "swinv2-moge-t-imagenet",
                        "swinv1-t-imagenet",
                        "swinv1-moge-t-imagenet-ft",
                        "vit-moge-s-imagenet-ft",
                        "vit-xs-fmnist",
                        "vit-moe-xs-fmnist",
                        "vit-moge-xs-fmnist",
                        "swinv2-xs-fmnist",
                        "swinv2-moe-xs-fmnist",
                        "swinv2-moge-xs-fmnist")) {
            assertTrue(names.contains(name), name);
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> VisionPreset.get("vit-moge-l-cifar10"));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "unknown vision preset 'vit-moge-l-cifar10'; known presets:"
                                        + " vit-s-cifar100"));
    }

    @Test
    void paperSettings() {
        VisionPreset vit = VisionPreset.get("vit-moge-s-cifar100");
        assertEquals(32, vit.getImageSize());
        assertEquals(4, vit.getPatchSize());
        assertEquals(512, vit.getWidth());
        assertEquals(8, vit.getDepths()[0]);
        assertEquals(8, vit.getHeads()[0]);
        assertEquals(100, vit.getClasses());
        assertEquals(List.of(5, 7), vit.getMoeLayers());
        assertEquals(32, vit.getExperts());
        assertEquals(1, vit.getTopK());
        assertEquals(4f, vit.getCapacityFactor());
        assertEquals(4e-3f, vit.getLambda());
        assertEquals(4e-5f, vit.effectiveLambda(), 1e-10f);
        assertEquals(10f, vit.getSigmaMax());
        assertEquals(1.5f, vit.getSigmaMin());
        assertEquals(0.3f, vit.getSigmaPower());

        VisionPreset swin = VisionPreset.get("swinv2-moge-t-cifar100");
        assertEquals(2, swin.getPatchSize());
        assertEquals(4, swin.getWindow());
        assertEquals(List.of(5, 7, 9, 11), swin.getMoeLayers());

        VisionPreset imagenet = VisionPreset.get("swinv2-moge-t-imagenet");
        assertEquals(192, imagenet.getImageSize());
        assertEquals(12, imagenet.getWindow());
        assertEquals(List.of(9, 11), imagenet.getMoeLayers());
        assertEquals(0.4f, imagenet.getLambda());
        assertEquals(0.5f, imagenet.getSigmaMin());
        assertEquals(5e-3f, VisionPreset.get("vit-moge-s-imagenet").getLambda());
        assertEquals(4e-5f, VisionPreset.get("swinv1-moge-t-imagenet-ft").getLambda());
        assertEquals(8, VisionPreset.get("vit-moe-s-tinyimagenet").getPatchSize());
        assertEquals(0f, VisionPreset.get("vit-moe-s-cifar100").getLambda());
        assertEquals(0, VisionPreset.get("vit-s-cifar100").getExperts());
    }

    @Test
    void everyPresetBuildsWithItsMoePlacement() {
        for (VisionPreset preset : VisionPreset.all()) {
            Block model = preset.newModel(1000);
            List<MoeBlock> layers = SigmaScheduleListener.findMoeBlocks(model);
            assertEquals(preset.getMoeLayers().size(), layers.size(), preset.getName());
            for (MoeBlock layer : layers) {
                assertEquals(preset.getExperts(), layer.getNumExperts(), preset.getName());
                assertEquals(
                        preset.getKind() == VisionPreset.Kind.MOGE,
                        layer.getRegularizer() != null,
                        preset.getName());
                assertNotNull(layer.getBalanceLoss(), preset.getName());
            }
            if (preset.getKind() == VisionPreset.Kind.MOGE) {
                assertNotNull(preset.newSigmaSchedule(1000));
                assertEquals(0.01f * preset.getLambda(), preset.effectiveLambda(), 1e-10f);
            } else {
                assertNull(preset.newSigmaSchedule(1000));
                assertEquals(0f, preset.effectiveLambda());
            }
            assertTrue(VisionPreset.markdownTable().contains("`" + preset.getName() + "`"));
            assertTrue(preset.summary().startsWith(preset.getName() + ": "));
        }
    }

    @Test
    void fashionMnistPresetsRunAndKeepTheContract() {
        Engine.getInstance().setRandomSeed(21);
        for (String name : List.of("vit-moge-xs-fmnist", "swinv2-moge-xs-fmnist")) {
            VisionPreset preset = VisionPreset.get(name);
            try (NDManager manager = NDManager.newBaseManager()) {
                Block model = preset.newModel(100);
                model.initialize(manager, DataType.FLOAT32, preset.inputShape(4));
                ModelChecks.checkTrainingContractAndGradients(
                        model, manager, manager.randomNormal(preset.inputShape(4)), 10, 2, true);
            }
        }
    }
}
