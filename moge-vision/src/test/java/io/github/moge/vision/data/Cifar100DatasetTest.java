package io.github.moge.vision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar100DatasetTest {

    @TempDir Path dir;

    private static Cifar100Dataset.Builder isolated() {
        return Cifar100Dataset.builder().envDataDir(null).systemDir(null);
    }

    @Test
    void readsRecordsWithFineAndCoarseLabels() throws IOException, TranslateException {
        Files.write(dir.resolve("train.bin"), CifarFiles.records(7));
        Cifar100Dataset fine = isolated().optDataDir(dir).setSampling(3, false).build();
        fine.prepare();
        assertEquals(7, fine.size());
        assertEquals(100, fine.getNumClasses());
        assertEquals(new Shape(3, 32, 32), fine.getImageShape());
        Cifar100Dataset coarse =
                isolated()
                        .optDataDir(dir)
                        .optLabelType(Cifar100Dataset.LabelType.COARSE)
                        .setSampling(3, false)
                        .build();
        coarse.prepare();
        assertEquals(20, coarse.getNumClasses());
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < 7; i++) {
                assertEquals(CifarFiles.fine(i), fine.getLabel(i));
                assertEquals(CifarFiles.coarse(i), coarse.getLabel(i));
                assertEquals(CifarFiles.coarse(i), fine.getCoarseLabel(i));
            }
            NDArray img = fine.get(m, 5).getData().singletonOrThrow();
            assertEquals(new Shape(3, 32, 32), img.getShape());
            float[] px = img.toFloatArray();
            for (int j = 0; j < 3072; j++) {
                assertEquals(CifarFiles.pixel(5, j) / 255f, px[j], 0f);
            }
            // Red plane first: pixel (row 1, col 2) of the green plane is byte 1024 + 32 + 2.
            assertEquals(CifarFiles.pixel(5, 1024 + 34) / 255f, img.getFloat(1, 1, 2), 0f);
            assertEquals(
                    (float) CifarFiles.fine(5),
                    fine.get(m, 5).getLabels().singletonOrThrow().getFloat());
            long[] idx = {6, 0, 2};
            NDArray batch = fine.getImages(m, idx);
            for (int i = 0; i < idx.length; i++) {
                assertArrayEquals(
                        fine.get(m, idx[i]).getData().head().toFloatArray(),
                        batch.get(i).toFloatArray(),
                        0f);
            }
            assertArrayEquals(
                    new float[] {CifarFiles.coarse(6), CifarFiles.coarse(0), CifarFiles.coarse(2)},
                    coarse.getLabels(m, idx).toFloatArray(),
                    0f);
            int n = 0;
            for (Batch b : fine.getData(m)) {
                assertEquals(3, b.getData().head().getShape().get(1));
                n += b.getSize();
                b.close();
            }
            assertEquals(7, n);
        }
    }

    @Test
    void findsSplitInArchiveFolderAndViaEnvironment() throws IOException {
        Path sub =
                Files.createDirectories(
                        dir.resolve("cifar-100").resolve(Cifar100Dataset.ARCHIVE_DIR));
        Files.write(sub.resolve("test.bin"), CifarFiles.records(2));
        Cifar100Dataset test =
                Cifar100Dataset.builder()
                        .envDataDir(dir.toString())
                        .systemDir(null)
                        .optUsage(Dataset.Usage.TEST)
                        .setSampling(1, false)
                        .build();
        test.prepare();
        assertEquals(2, test.size());
        assertEquals(sub.resolve("test.bin"), test.getSource());
        assertEquals("fine_0", test.getClassNames().get(0));
    }

    @Test
    void extractsPublishedArchiveLayout() throws IOException {
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            names.append("class").append(i).append('\n');
        }
        new TarFiles()
                .entry("cifar-100-binary/", '5', new byte[0], 0, "")
                .file("cifar-100-binary/train.bin", CifarFiles.records(4))
                .file("cifar-100-binary/test.bin", CifarFiles.records(3))
                .file(
                        "cifar-100-binary/fine_label_names.txt",
                        names.toString().getBytes(StandardCharsets.UTF_8))
                .writeGz(dir.resolve(Cifar100Dataset.ARCHIVE_NAME));
        Cifar100Dataset train = isolated().optDataDir(dir).setSampling(2, false).build();
        train.prepare();
        assertEquals(4, train.size());
        assertEquals("class42", train.getClassNames().get(42));
        assertTrue(Files.isRegularFile(dir.resolve("cifar-100-binary/test.bin")));
        assertEquals(CifarFiles.fine(3), train.getLabel(3));
    }

    @Test
    void hostileArchiveIsRefused() throws IOException {
        new TarFiles()
                .file("../escape.bin", new byte[10])
                .writeGz(dir.resolve(Cifar100Dataset.ARCHIVE_NAME));
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> isolated().optDataDir(dir).setSampling(1, false).build().prepare());
        assertTrue(e.getMessage().contains("escape"), e.getMessage());
        assertTrue(Files.notExists(dir.getParent().resolve("escape.bin")));
    }

    @Test
    void malformedFilesAreExplained() throws IOException {
        Files.write(dir.resolve("train.bin"), Arrays.copyOf(CifarFiles.records(3), 3 * 3074 - 100));
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> isolated().optDataDir(dir).setSampling(1, false).build().prepare());
        assertTrue(
                e.getMessage().contains("train.bin") && e.getMessage().contains("not a multiple"),
                e.getMessage());

        Files.write(dir.resolve("train.bin"), new byte[3073 * 5]);
        e =
                assertThrows(
                        DataException.class,
                        () -> isolated().optDataDir(dir).setSampling(1, false).build().prepare());
        assertTrue(e.getMessage().contains("CIFAR-10"), e.getMessage());

        byte[] bad = CifarFiles.records(3);
        bad[2 * 3074 + 1] = (byte) 100;
        Files.write(dir.resolve("train.bin"), bad);
        e =
                assertThrows(
                        DataException.class,
                        () -> isolated().optDataDir(dir).setSampling(1, false).build().prepare());
        assertTrue(
                e.getMessage().contains("record 2") && e.getMessage().contains("fine label 100"),
                e.getMessage());

        Files.write(dir.resolve("train.bin"), new byte[0]);
        e =
                assertThrows(
                        DataException.class,
                        () -> isolated().optDataDir(dir).setSampling(1, false).build().prepare());
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void missingDataListsEveryPlaceTried() {
        Path nowhere = dir.resolve("nope");
        DataException e =
                assertThrows(
                        DataException.class,
                        () ->
                                Cifar100Dataset.builder()
                                        .optDataDir(nowhere)
                                        .envDataDir(dir.toString())
                                        .systemDir(dir.resolve("sys"))
                                        .setSampling(1, false)
                                        .build()
                                        .prepare());
        String msg = e.getMessage();
        assertTrue(
                msg.contains(
                        "1. data directory given by optDataDir/--data "
                                + nowhere
                                + ": no such directory"),
                msg);
        // An explicit directory is the only place looked in.
        assertTrue(!msg.contains("$MOGE_DATA " + dir), msg);
        assertTrue(msg.contains("does not hold the dataset"), msg);
        assertTrue(msg.contains("cifar.html"), msg);
        // Without it, $MOGE_DATA and its subdirectories are searched, and nothing after them.
        msg =
                assertThrows(
                                DataException.class,
                                () ->
                                        Cifar100Dataset.builder()
                                                .envDataDir(dir.toString())
                                                .systemDir(dir.resolve("sys"))
                                                .setSampling(1, false)
                                                .build()
                                                .prepare())
                        .getMessage();
        assertTrue(msg.contains("$MOGE_DATA " + dir + ": no train.bin"), msg);
        assertTrue(msg.contains("$MOGE_DATA/cifar-100"), msg);
        assertTrue(msg.contains("$MOGE_DATA/cifar100"), msg);
        assertTrue(!msg.contains("system directory"), msg);
        // The implicit search reaches the system directory.
        msg =
                assertThrows(
                                DataException.class,
                                () ->
                                        Cifar100Dataset.builder()
                                                .envDataDir(null)
                                                .systemDir(dir.resolve("sys"))
                                                .setSampling(1, false)
                                                .build()
                                                .prepare())
                        .getMessage();
        assertTrue(msg.contains("system directory"), msg);
        assertTrue(msg.contains("cifar.html"), msg);
        assertThrows(
                IllegalArgumentException.class,
                () -> Cifar100Dataset.builder().optUsage(Dataset.Usage.VALIDATION));
    }
}
