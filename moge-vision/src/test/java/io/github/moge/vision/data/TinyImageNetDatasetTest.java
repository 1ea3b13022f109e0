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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyImageNetDatasetTest {

    /** Class ids in file order (deliberately unsorted) and a colour per class. */
    private static final String[] WNIDS = {"n09999999", "n01443537", "n02000000"};

    private static final int[] COLOURS = {0xFF0000, 0x00FF00, 0x0000FF};

    @TempDir Path dir;
    Path root;

    @BeforeEach
    void writeLayout() throws IOException {
        root = dir.resolve(TinyImageNetDataset.ROOT_NAME);
        Files.createDirectories(root);
        Files.writeString(root.resolve("wnids.txt"), String.join("\n", WNIDS) + "\n");
        for (int c = 0; c < WNIDS.length; c++) {
            for (int i = 0; i < 2; i++) {
                ImageFiles.solid(
                        root.resolve(
                                "train/" + WNIDS[c] + "/images/" + WNIDS[c] + "_" + i + ".JPEG"),
                        64,
                        64,
                        COLOURS[c],
                        "jpg");
            }
            Files.writeString(
                    root.resolve("train/" + WNIDS[c] + "/" + WNIDS[c] + "_boxes.txt"), "");
        }
        StringBuilder ann = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int c = (i + 1) % 3;
            ImageFiles.solid(
                    root.resolve("val/images/val_" + i + ".JPEG"), 64, 64, COLOURS[c], "jpg");
            ann.append("val_")
                    .append(i)
                    .append(".JPEG\t")
                    .append(WNIDS[c])
                    .append("\t0\t1\t60\t62\n");
        }
        Files.writeString(root.resolve("val/val_annotations.txt"), ann.toString());
    }

    private static TinyImageNetDataset.Builder isolated() {
        return TinyImageNetDataset.builder().envDataDir(null).systemDir(null).setSampling(2, false);
    }

    private static int sortedLabel(int fileOrderClass) {
        return List.of("n01443537", "n02000000", "n09999999").indexOf(WNIDS[fileOrderClass]);
    }

    @Test
    void readsTrainAndValWithSortedClassIds() throws IOException {
        TinyImageNetDataset train = isolated().optDataDir(dir).build();
        train.prepare();
        assertEquals(6, train.size());
        assertEquals(List.of("n01443537", "n02000000", "n09999999"), train.getClassNames());
        TinyImageNetDataset val =
                isolated()
                        .optDataDir(root)
                        .optUsage(Dataset.Usage.TEST)
                        .optCacheInMemory(true)
                        .build();
        val.prepare();
        assertEquals(4, val.size());
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < 4; i++) {
                int c = (i + 1) % 3;
                assertEquals(sortedLabel(c), val.getLabel(i));
                NDArray img = val.get(m, i).getData().head();
                assertEquals(new Shape(3, 64, 64), img.getShape());
                float[] mean = img.reshape(3, -1).mean(new int[] {1}).toFloatArray();
                for (int ch = 0; ch < 3; ch++) {
                    float expected = ((COLOURS[c] >> (16 - 8 * ch)) & 0xFF) / 255f;
                    assertEquals(expected, mean[ch], 0.03f, "val " + i + " channel " + ch);
                }
            }
            NDArray batch = train.getImages(m, new long[] {0, 5});
            assertEquals(new Shape(2, 3, 64, 64), batch.getShape());
            assertEquals(0, train.getLabel(0));
            assertEquals(2, train.getLabel(5));
            // Cached second read equals the first.
            assertEquals(
                    val.getImages(m, new long[] {1}).sum().getFloat(),
                    val.getImages(m, new long[] {1}).sum().getFloat());
        }
        TinyImageNetDataset small = isolated().optDataDir(root).optImageSize(32).build();
        small.prepare();
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(new Shape(3, 32, 32), small.get(m, 0).getData().head().getShape());
        }
    }

    @Test
    void greyscaleJpegBecomesRgb() throws IOException {
        ImageFiles.grey(root.resolve("train/" + WNIDS[0] + "/images/zz.JPEG"), 64, 64, 200, "jpg");
        TinyImageNetDataset train = isolated().optDataDir(root).build();
        train.prepare();
        try (NDManager m = NDManager.newBaseManager()) {
            long idx = train.size() - 1;
            assertTrue(train.getFile(idx).endsWith("zz.JPEG"));
            float[] mean =
                    train.get(m, idx)
                            .getData()
                            .head()
                            .reshape(3, -1)
                            .mean(new int[] {1})
                            .toFloatArray();
            for (float v : mean) {
                assertEquals(200 / 255f, v, 0.02f);
            }
        }
    }

    @Test
    void malformedLayoutsAreExplained() throws IOException {
        Path ann = root.resolve("val/val_annotations.txt");
        Files.writeString(ann, "val_0.JPEG\tn00000000\t0\t0\t1\t1\n");
        DataException e =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(root)
                                        .optUsage(Dataset.Usage.TEST)
                                        .build()
                                        .prepare());
        assertTrue(
                e.getMessage().contains("val_annotations.txt:1")
                        && e.getMessage().contains("not in wnids.txt"),
                e.getMessage());
        Files.writeString(ann, "val_0.JPEG\n");
        e =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(root)
                                        .optUsage(Dataset.Usage.TEST)
                                        .build()
                                        .prepare());
        assertTrue(e.getMessage().contains("malformed line"), e.getMessage());
        Files.writeString(ann, "val_77.JPEG\t" + WNIDS[0] + "\t0\t0\t1\t1\n");
        e =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(root)
                                        .optUsage(Dataset.Usage.TEST)
                                        .build()
                                        .prepare());
        assertTrue(e.getMessage().contains("val_77.JPEG does not exist"), e.getMessage());
        Files.writeString(ann, "../x.JPEG\t" + WNIDS[0] + "\n");
        e =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(root)
                                        .optUsage(Dataset.Usage.TEST)
                                        .build()
                                        .prepare());
        assertTrue(e.getMessage().contains("not a plain name"), e.getMessage());

        Files.writeString(root.resolve("wnids.txt"), String.join("\n", WNIDS) + "\nn05555555\n");
        e = assertThrows(DataException.class, () -> isolated().optDataDir(root).build().prepare());
        assertTrue(e.getMessage().contains("n05555555"), e.getMessage());

        Files.writeString(root.resolve("wnids.txt"), "n1 n2\n");
        e = assertThrows(DataException.class, () -> isolated().optDataDir(root).build().prepare());
        assertTrue(e.getMessage().contains("wnids.txt:1: malformed"), e.getMessage());

        Files.writeString(root.resolve("wnids.txt"), String.join("\n", WNIDS) + "\n");
        Files.writeString(
                root.resolve("train/" + WNIDS[1] + "/images/" + WNIDS[1] + "_0.JPEG"),
                "not a jpeg");
        TinyImageNetDataset broken = isolated().optDataDir(root).build();
        broken.prepare();
        try (NDManager m = NDManager.newBaseManager()) {
            RuntimeException r =
                    assertThrows(RuntimeException.class, () -> broken.getImages(m, new long[] {0}));
            assertTrue(r.getMessage().contains(WNIDS[1] + "_0.JPEG"), r.getMessage());
        }

        DataException missing =
                assertThrows(
                        DataException.class,
                        () ->
                                isolated()
                                        .optDataDir(dir.resolve("none"))
                                        .envDataDir(dir.resolve("empty").toString())
                                        .build()
                                        .prepare());
        assertTrue(
                missing.getMessage().contains("no such directory")
                        && missing.getMessage().contains("tiny-imagenet-200.zip"),
                missing.getMessage());
    }
}
