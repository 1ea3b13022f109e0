package io.github.moge.vision.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.vision.preset.VisionPreset;
import io.github.moge.vision.transform.Normalize;
import org.junit.jupiter.api.Test;

/** Each dataset's recipe holds its own published values (paper Table 8, docs/fidelity.md). */
class VisionRecipeTest {

    @Test
    void smallDatasetsGetTheirOwnRecipeNotImagenets() {
        VisionRecipe cifar = VisionPreset.get("vit-moge-s-cifar100").recipe();
        assertEquals(150, cifar.getEpochs());
        assertEquals(10f, cifar.getWarmupEpochs());
        assertEquals(128, cifar.getBatchSize());
        assertEquals(0.5f, cifar.getFlip());
        assertEquals(4, cifar.getCropPadding());
        assertEquals(0.25f, cifar.getMixup());
        assertEquals(0.25f, cifar.getCutmix());
        assertEquals(0.25f, cifar.getRandomErasing());
        assertEquals(0.12f, cifar.getColorJitter());
        assertEquals(0.1f, cifar.getLabelSmoothing());
        assertEquals(0f, cifar.getClipGradNorm());
        assertArrayEquals(Normalize.CIFAR100_MEAN, cifar.getMean());
        VisionRecipe tiny = VisionPreset.get("swinv2-moge-t-tinyimagenet").recipe();
        assertEquals(0.15f, tiny.getColorJitter());
        assertEquals(8, tiny.getCropPadding());
        assertEquals(0.25f, tiny.getMixup());
        assertEquals(10f, tiny.getWarmupEpochs());
        // AutoAugment as the reference: timm's RandAugment, on CIFAR-100 and Tiny-ImageNet only
        assertEquals("rand-m9-mstd0.5-inc1", cifar.getAutoAugment());
        assertEquals("rand-m9-mstd0.5-inc1", tiny.getAutoAugment());
    }

    @Test
    void imagenetAndFineTuning() {
        VisionRecipe scratch = VisionPreset.get("vit-moge-s-imagenet").recipe();
        assertEquals(1024, scratch.getBatchSize());
        assertEquals(15f, scratch.getWarmupEpochs());
        assertEquals(0f, scratch.getFlip());
        assertEquals(0.8f, scratch.getMixup());
        assertEquals(1.0f, scratch.getCutmix());
        assertEquals(0.4f, scratch.getColorJitter());
        assertEquals(5f, scratch.getClipGradNorm());
        VisionRecipe fineTune = VisionPreset.get("vit-moge-s-imagenet-ft").recipe();
        assertEquals(256, fineTune.getBatchSize());
        assertEquals(30, fineTune.getEpochs());
        assertEquals(5f, fineTune.getWarmupEpochs());
        VisionRecipe fmnist = VisionPreset.get("vit-moge-xs-fmnist").recipe();
        assertEquals(
                0f,
                fmnist.getMixup()
                        + fmnist.getCutmix()
                        + fmnist.getColorJitter()
                        + fmnist.getRandomErasing());
        assertTrue(fineTune.toString().contains("batch 256"), fineTune.toString());
        assertNull(scratch.getAutoAugment());
        assertNull(fineTune.getAutoAugment());
        assertNull(fmnist.getAutoAugment());
        assertThrows(IllegalArgumentException.class, () -> VisionRecipe.of("mnist", false, 28));
    }
}
