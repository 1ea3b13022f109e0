package io.github.moge.vision.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {

    @TempDir Path dir;

    private static ImageFolderDataset.Builder isolated() {
        return ImageFolderDataset.builder().envDataDir(null).systemDir(null).setSampling(2, false);
    }

    @Test
    void readsSplitsWithSharedClassNumberingAndExactPixels() throws IOException {
        ImageFiles.ramp(dir.resolve("train/cat/a.png"), 16, 16);
        ImageFiles.solid(dir.resolve("train/cat/b.jpg"), 16, 16, 0x808080, "jpg");
        ImageFiles.solid(dir.resolve("train/dog/c.PNG"), 16, 16, 0x102030, "png");
        ImageFiles.solid(dir.resolve("train/zebra/d.png"), 16, 16, 0x102030, "png");
        Files.writeString(dir.resolve("train/zebra/notes.txt"), "ignored");
        ImageFiles.solid(dir.resolve("val/zebra/e.png"), 16, 16, 0x405060, "png");
        ImageFolderDataset train =
                isolated().optDataDir(dir).optImageSize(16).optResizeShorter(16).build();
        train.prepare();
        assertEquals(4, train.size());
        assertEquals(List.of("cat", "dog", "zebra"), train.getClassNames());
        ImageFolderDataset val =
                isolated()
                        .optDataDir(dir)
                        .optUsage(Dataset.Usage.VALIDATION)
                        .optImageSize(16)
                        .optResizeShorter(16)
                        .build();
        val.prepare();
        assertEquals(1, val.size());
        assertEquals(2, val.getLabel(0));
        assertEquals(3, val.getNumClasses());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ramp = train.get(m, 0).getData().head();
            assertEquals(new Shape(3, 16, 16), ramp.getShape());
            assertEquals(3 * 5 / 255f, ramp.getFloat(0, 2, 5), 1e-6f); // red = 3x at (y=2, x=5)
            assertEquals(3 * 2 / 255f, ramp.getFloat(1, 2, 5), 1e-6f); // green = 3y
            assertEquals(3 * 7 / 255f, ramp.getFloat(2, 2, 5), 1e-6f); // blue = 3(x+y)
            assertEquals(0x40 / 255f, val.get(m, 0).getData().head().getFloat(0, 0, 0), 1e-6f);
        }
    }

    @Test
    void resizesShorterSideAndCropsCentre() throws IOException {
        // 64 x 32 image: left half red, right half blue; after resize to 16 on the short side it is
        // 32 x 16, and the central 16 x 16 crop spans both halves equally.
        java.awt.image.BufferedImage img =
                new java.awt.image.BufferedImage(64, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, x < 32 ? 0xFF0000 : 0x0000FF);
            }
        }
        Files.createDirectories(dir.resolve("only/a"));
        javax.imageio.ImageIO.write(img, "png", dir.resolve("only/a/x.png").toFile());
        ImageFolderDataset ds = isolated().optDataDir(dir.resolve("only")).optImageSize(16).build();
        ds.prepare();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ds.get(m, 0).getData().head();
            assertEquals(new Shape(3, 16, 16), x.getShape());
            assertEquals(1f, x.getFloat(0, 8, 0), 0.05f);
            assertEquals(1f, x.getFloat(2, 8, 15), 0.05f);
            assertEquals(0.5f, x.get(0).mean().getFloat(), 0.1f);
        }
    }

    @Test
    void malformedFoldersAreExplained() throws IOException {
        ImageFiles.solid(dir.resolve("train/a/x.png"), 4, 4, 0, "png");
        Files.createDirectories(dir.resolve("train/b"));
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> isolated().optDataDir(dir).optImageSize(4).build().prepare());
        assertTrue(e.getMessage().contains("no images"), e.getMessage());
        ImageFiles.solid(dir.resolve("train/b/y.png"), 4, 4, 0, "png");
        ImageFiles.solid(dir.resolve("val/c/z.png"), 4, 4, 0, "png");
        e =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(dir)
                                        .optUsage(Dataset.Usage.TEST)
                                        .optImageSize(4)
                                        .build()
                                        .prepare());
        assertTrue(e.getMessage().contains("no counterpart"), e.getMessage());
        Files.delete(dir.resolve("val/c/z.png"));
        Files.delete(dir.resolve("val/c"));
        Files.delete(dir.resolve("val"));
        e =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(dir)
                                        .optUsage(Dataset.Usage.TEST)
                                        .optImageSize(4)
                                        .build()
                                        .prepare());
        assertTrue(e.getMessage().contains("has no val/ folder"), e.getMessage());
    }
}
