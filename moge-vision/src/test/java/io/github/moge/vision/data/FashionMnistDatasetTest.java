package io.github.moge.vision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistDatasetTest {

    @TempDir Path dir;

    private static FashionMnistDataset.Builder isolated() {
        // No $MOGE_DATA, no system directory, no download: only what the test sets.
        return FashionMnistDataset.builder()
                .envDataDir(null)
                .systemDir(null)
                .optAllowDownload(false);
    }

    @Test
    void readsGeneratedFilesFromExplicitDir() throws IOException, TranslateException {
        IdxFiles.writeSplit(dir, "train", 12, true);
        IdxFiles.writeSplit(dir, "t10k", 5, false);
        FashionMnistDataset train = isolated().optDataDir(dir).setSampling(4, false).build();
        train.prepare();
        assertEquals(12, train.size());
        FashionMnistDataset test =
                isolated()
                        .optDataDir(dir)
                        .optUsage(Dataset.Usage.TEST)
                        .optFlatten(true)
                        .setSampling(5, false)
                        .build();
        test.prepare();
        assertEquals(5, test.size());
        byte[] expected = IdxFiles.pixels(12, 28, 28);
        try (NDManager m = NDManager.newBaseManager()) {
            Record r = train.get(m, 3);
            NDArray img = r.getData().singletonOrThrow();
            assertEquals(new Shape(1, 28, 28), img.getShape());
            float[] px = img.toFloatArray();
            for (int p = 0; p < 784; p++) {
                assertEquals((expected[3 * 784 + p] & 0xFF) / 255f, px[p], 0f);
            }
            assertEquals(3f, r.getLabels().singletonOrThrow().getFloat());
            assertEquals(new Shape(784), test.get(m, 0).getData().singletonOrThrow().getShape());

            // Bulk accessor equals per-record access.
            long[] idx = {7, 0, 3};
            NDArray batch = train.getImages(m, idx);
            assertEquals(new Shape(3, 1, 28, 28), batch.getShape());
            for (int i = 0; i < idx.length; i++) {
                NDArray single = train.get(m, idx[i]).getData().singletonOrThrow();
                assertArrayEquals(single.toFloatArray(), batch.get(i).toFloatArray(), 0f);
            }
            assertArrayEquals(new float[] {7, 0, 3}, train.getLabels(m, idx).toFloatArray(), 0f);
            assertEquals(new Shape(2, 784), test.getImages(m, new long[] {0, 4}).getShape());
            assertThrows(
                    IndexOutOfBoundsException.class, () -> train.getImages(m, new long[] {12}));

            // The DJL batch pipeline works.
            int batches = 0;
            for (Batch b : train.getData(m)) {
                assertEquals(new Shape(4, 1, 28, 28), b.getData().singletonOrThrow().getShape());
                assertEquals(new Shape(4), b.getLabels().singletonOrThrow().getShape());
                b.close();
                batches++;
            }
            assertEquals(3, batches);
        }
    }

    @Test
    void limitKeepsFirstExamples() throws IOException {
        IdxFiles.writeSplit(dir, "train", 12, false);
        FashionMnistDataset ds =
                isolated().optDataDir(dir).optLimit(5).setSampling(1, false).build();
        ds.prepare();
        assertEquals(5, ds.size());
        assertEquals(4, ds.getLabel(4));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.getLabel(5));
    }

    @Test
    void findsDataThroughEnvironmentVariable() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("fashion-mnist"));
        IdxFiles.writeSplit(sub, "t10k", 3, true);
        FashionMnistDataset ds =
                isolated()
                        .envDataDir(dir.toString())
                        .optUsage(Dataset.Usage.TEST)
                        .setSampling(1, false)
                        .build();
        ds.prepare();
        assertEquals(3, ds.size());
        assertEquals(sub.toString(), ds.getSource());
    }

    @Test
    void corruptFileInDatasetNamesTheFile() throws IOException {
        IdxFiles.writeSplit(dir, "train", 4, false);
        Path labels = dir.resolve("train-labels-idx1-ubyte");
        IdxFiles.write(labels, IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 5, new byte[5]));
        FashionMnistDataset ds = isolated().optDataDir(dir).setSampling(1, false).build();
        DataException e = assertThrows(DataException.class, ds::prepare);
        IdxReaderTest.assertContains(
                e.getMessage(), "mismatch", "4 images", "5 labels", labels.toString());
    }

    @Test
    void missingDataListsEveryPlaceTried() {
        // The implicit search (neither --data nor $MOGE_DATA) goes on to the system directory and
        // the download, and lists them all.
        Path system = dir.resolve("system");
        FashionMnistDataset ds =
                FashionMnistDataset.builder()
                        .envDataDir(null)
                        .systemDir(system)
                        .setSampling(1, false)
                        .build();
        DataException e = assertThrows(DataException.class, ds::prepare);
        String msg = e.getMessage();
        IdxReaderTest.assertContains(
                msg,
                "train-images-idx3-ubyte[.gz]",
                system.toString(),
                "MOGE_DATA",
                "DJL download",
                "offline",
                "apt-get install dataset-fashion-mnist",
                "--data");

        // $MOGE_DATA is searched with its subdirectory, and nothing after it.
        Path env = dir.resolve("env");
        String viaEnv =
                assertThrows(
                                DataException.class,
                                () ->
                                        FashionMnistDataset.builder()
                                                .envDataDir(env.toString())
                                                .systemDir(system)
                                                .setSampling(1, false)
                                                .build()
                                                .prepare())
                        .getMessage();
        IdxReaderTest.assertContains(
                viaEnv, env.toString(), env.resolve("fashion-mnist").toString(), "MOGE_DATA");
        assertTrue(!viaEnv.contains(system.toString()), viaEnv);
    }

    @Test
    void explicitDirectoryWithoutTheDataIsAnErrorEvenWhenTheSystemHasACopy() throws IOException {
        Path system = Files.createDirectories(dir.resolve("system"));
        IdxFiles.writeSplit(system, "train", 4, false);
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path env = Files.createDirectories(dir.resolve("env"));
        IdxFiles.writeSplit(env, "train", 4, false);
        for (Path explicit : new Path[] {empty, dir.resolve("no-such-dir")}) {
            FashionMnistDataset ds =
                    FashionMnistDataset.builder()
                            .optDataDir(explicit)
                            .envDataDir(env.toString())
                            .systemDir(system)
                            .setSampling(1, false)
                            .build();
            String msg = assertThrows(DataException.class, ds::prepare).getMessage();
            IdxReaderTest.assertContains(
                    msg,
                    explicit.toString(),
                    "train-images-idx3-ubyte[.gz]",
                    "does not hold the dataset",
                    "only when neither --data nor $MOGE_DATA is set");
            assertTrue(!msg.contains(system.toString()) && !msg.contains(env.toString()), msg);
        }
        // Only an image file: the message says which file is missing.
        IdxFiles.writeSplit(empty, "train", 4, false);
        Files.delete(empty.resolve("train-labels-idx1-ubyte"));
        String msg =
                assertThrows(
                                DataException.class,
                                () ->
                                        FashionMnistDataset.builder()
                                                .optDataDir(empty)
                                                .systemDir(system)
                                                .setSampling(1, false)
                                                .build()
                                                .prepare())
                        .getMessage();
        IdxReaderTest.assertContains(msg, "no train-labels-idx1-ubyte[.gz]");
        // A $MOGE_DATA without the data is an error too, not a silent switch to the system copy.
        Path emptyEnv = Files.createDirectories(dir.resolve("empty-env"));
        assertThrows(
                DataException.class,
                () ->
                        FashionMnistDataset.builder()
                                .envDataDir(emptyEnv.toString())
                                .systemDir(system)
                                .setSampling(1, false)
                                .build()
                                .prepare());
    }

    @Test
    void recordsWhereTheDataWasFound() throws IOException {
        IdxFiles.writeSplit(dir, "train", 4, true);
        FashionMnistDataset ds = isolated().optDataDir(dir).setSampling(1, false).build();
        ds.prepare();
        Path base = dir.toAbsolutePath().normalize();
        assertEquals(base, ds.getDataLocation());
        assertEquals(
                java.util.List.of(
                        base.resolve("train-images-idx3-ubyte.gz"),
                        base.resolve("train-labels-idx1-ubyte.gz")),
                ds.getDataFiles());
    }

    @Test
    void rejectsValidationAndUnpreparedUse() {
        assertThrows(
                IllegalArgumentException.class,
                () -> FashionMnistDataset.builder().optUsage(Dataset.Usage.VALIDATION));
        FashionMnistDataset ds = isolated().setSampling(1, false).build();
        assertThrows(IllegalStateException.class, ds::size);
        assertEquals(10, FashionMnistDataset.CLASS_NAMES.size());
        assertEquals("Ankle boot", FashionMnistDataset.CLASS_NAMES.get(9));
    }

    @Test
    void realFashionMnistWhenInstalled() throws IOException {
        Path sys = Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR);
        assumeTrue(Files.isDirectory(sys), "Fashion-MNIST not installed at " + sys);
        check(sys, Dataset.Usage.TRAIN, 60000, 0.2860);
        check(sys, Dataset.Usage.TEST, 10000, 0.2868);
    }

    private static void check(Path sys, Dataset.Usage usage, int n, double mean)
            throws IOException {
        FashionMnistDataset ds =
                FashionMnistDataset.builder()
                        .optDataDir(sys)
                        .optUsage(usage)
                        .setSampling(100, true)
                        .build();
        ds.prepare();
        assertEquals(n, ds.size());
        int[] counts = new int[10];
        for (int i = 0; i < n; i++) {
            counts[ds.getLabel(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(n / 10, counts[c], "examples of class " + c);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            long[] all = new long[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            NDArray images = ds.getImages(m, all);
            double pixelMean = images.mean().getFloat();
            assertEquals(mean, pixelMean, 0.002, usage + " pixel mean");
            assertTrue(images.max().getFloat() <= 1f && images.min().getFloat() >= 0f);
        }
    }
}
