package io.github.moge.vision.preset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every published MoGE preset against a table of the published values (paper Tables 8 and 9, the
 * authors' configs, docs/fidelity.md), kept here apart from the presets' code.
 */
class PublishedPresetsTest {

    /**
     * name, image, patch, width, depths, heads, window, MoE blocks, lambda, sigma min, drop path
     * (NaN: not published).
     */
    private record Row(
            String name,
            int image,
            int patch,
            int width,
            int[] depths,
            int[] heads,
            int window,
            List<Integer> moe,
            float lambda,
            float sigmaMin,
            float dropPath) {}

    private static final int[] SWIN_DEPTHS = {2, 2, 6, 2};
    private static final int[] SWIN_HEADS = {3, 6, 12, 24};

    private static final List<Row> PUBLISHED =
            List.of(
                    new Row(
                            "vit-moge-s-cifar100",
                            32,
                            4,
                            512,
                            new int[] {8},
                            new int[] {8},
                            0,
                            List.of(5, 7),
                            4e-3f,
                            1.5f,
                            Float.NaN),
                    new Row(
                            "swinv2-moge-t-cifar100",
                            32,
                            2,
                            96,
                            SWIN_DEPTHS,
                            SWIN_HEADS,
                            4,
                            List.of(5, 7, 9, 11),
                            4e-3f,
                            1.5f,
                            Float.NaN),
                    new Row(
                            "vit-moge-s-tinyimagenet",
                            64,
                            8,
                            512,
                            new int[] {8},
                            new int[] {8},
                            0,
                            List.of(5, 7),
                            4e-3f,
                            1.5f,
                            Float.NaN),
                    new Row(
                            "swinv2-moge-t-tinyimagenet",
                            64,
                            4,
                            96,
                            SWIN_DEPTHS,
                            SWIN_HEADS,
                            7,
                            List.of(5, 7, 9, 11),
                            4e-3f,
                            1.5f,
                            Float.NaN),
                    new Row(
                            "vit-moge-s-imagenet",
                            224,
                            16,
                            512,
                            new int[] {8},
                            new int[] {8},
                            0,
                            List.of(5, 7),
                            5e-3f,
                            0.5f,
                            0f),
                    new Row(
                            "swinv2-moge-t-imagenet",
                            192,
                            4,
                            96,
                            SWIN_DEPTHS,
                            SWIN_HEADS,
                            12,
                            List.of(9, 11),
                            0.4f,
                            0.5f,
                            Float.NaN),
                    new Row(
                            "vit-moge-s-imagenet-ft",
                            224,
                            16,
                            384,
                            new int[] {12},
                            new int[] {6},
                            0,
                            List.of(9, 11),
                            4e-5f,
                            0.5f,
                            0f),
                    new Row(
                            "swinv1-moge-t-imagenet-ft",
                            224,
                            4,
                            96,
                            SWIN_DEPTHS,
                            SWIN_HEADS,
                            7,
                            List.of(9, 11),
                            4e-5f,
                            0.5f,
                            Float.NaN));

    @Test
    void everyMogePresetHasThePublishedValues() {
        for (Row row : PUBLISHED) {
            VisionPreset p = VisionPreset.get(row.name());
            String n = row.name();
            assertEquals(row.image(), p.getImageSize(), n);
            assertEquals(row.patch(), p.getPatchSize(), n);
            assertEquals(row.width(), p.getWidth(), n);
            assertArrayEquals(row.depths(), p.getDepths(), n);
            assertArrayEquals(row.heads(), p.getHeads(), n);
            if (row.window() > 0) {
                assertEquals(row.window(), p.getWindow(), n);
            }
            assertEquals(row.moe(), p.getMoeLayers(), n);
            assertEquals(32, p.getExperts(), n);
            assertEquals(1, p.getTopK(), n);
            assertEquals(4f, p.getCapacityFactor(), n);
            assertEquals(row.lambda(), p.getLambda(), n);
            assertEquals(10f, p.getSigmaMax(), n);
            assertEquals(row.sigmaMin(), p.getSigmaMin(), n);
            assertEquals(0.3f, p.getSigmaPower(), n);
            if (!Float.isNaN(row.dropPath())) {
                assertEquals(row.dropPath(), p.getDropPath(), n);
            }
        }
        // the dense source of the upcycled ViT has the fine-tuning architecture
        VisionPreset source = VisionPreset.get("vit-s-imagenet-ft");
        assertEquals(384, source.getWidth());
        assertEquals(VisionPreset.Kind.DENSE, source.getKind());
    }
}
