package io.github.moge.vision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random truncations and byte flips (seeded) of small valid IDX and CIFAR-100 binary files: each
 * damaged file is either read exactly as its bytes say (a flip the format cannot see, such as one
 * in a pixel) or refused with a {@link DataException}, never an unchecked exception or a hang.
 */
class DataReaderFuzzTest {

    private static final Duration PER_CASE = Duration.ofSeconds(10);

    @TempDir Path dir;

    /** A truncation (half the cases) or one to three flipped bytes. */
    private static byte[] damage(byte[] valid, Random random) {
        if (random.nextBoolean()) {
            return Arrays.copyOf(valid, random.nextInt(valid.length));
        }
        byte[] b = valid.clone();
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
            // Headers are where the format checks are: aim there half the time.
            int at =
                    random.nextBoolean()
                            ? random.nextInt(Math.min(24, b.length))
                            : random.nextInt(b.length);
            b[at] ^= (byte) (1 + random.nextInt(255));
        }
        return b;
    }

    /** What the bytes say after gunzipping (if gzip), or null if they are not valid gzip. */
    private static byte[] decoded(byte[] file, boolean gz) {
        if (!gz) {
            return file;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(file))) {
            return in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Reads within the time limit: the result, or the {@link DataException} it was refused with;
     * anything else thrown fails the test.
     */
    private static Object outcome(String what, Callable<?> read) {
        return assertTimeoutPreemptively(
                PER_CASE,
                () -> {
                    try {
                        return read.call();
                    } catch (DataException e) {
                        return e;
                    }
                },
                what);
    }

    private static int header(byte[] b, int index) {
        return ByteBuffer.wrap(b, 4 * index, 4).getInt();
    }

    @Test
    void damagedIdxFilesAreReadAsTheySayOrRefused() throws Exception {
        Random random = new Random(20261202);
        byte[] pixels = IdxFiles.pixels(6, 4, 5);
        byte[] images = IdxFiles.imageBytes(IdxReader.IMAGES_MAGIC, 6, 4, 5, pixels);
        byte[] labels = IdxFiles.labelBytes(IdxReader.LABELS_MAGIC, 6, IdxFiles.labels(6));
        int refused = 0;
        int read = 0;
        for (int i = 0; i < 240; i++) {
            boolean gz = i % 3 == 2;
            boolean imageFile = i % 2 == 0;
            byte[] valid = imageFile ? images : labels;
            byte[] damaged = damage(gz ? IdxFiles.gzip(valid) : valid, random);
            String name = "case" + i + (imageFile ? "-images" : "-labels") + (gz ? ".gz" : "");
            Path file = Files.write(dir.resolve(name), damaged);
            String what = "case " + i + " (" + name + ")";
            Object result =
                    outcome(
                            what,
                            () ->
                                    imageFile
                                            ? IdxReader.readImages(file)
                                            : IdxReader.readLabels(file, 10));
            if (result instanceof DataException) {
                refused++;
                continue;
            }
            read++;
            byte[] bytes = decoded(damaged, gz);
            int headerBytes = imageFile ? 16 : 8;
            if (bytes == null || bytes.length < headerBytes) {
                fail(what + ": read, but its bytes are not a readable IDX file");
            }
            byte[] payload = Arrays.copyOfRange(bytes, headerBytes, bytes.length);
            if (imageFile) {
                IdxImages got = (IdxImages) result;
                assertEquals(IdxReader.IMAGES_MAGIC, header(bytes, 0), what);
                assertEquals(header(bytes, 1), got.getCount(), what);
                assertEquals(header(bytes, 2), got.getRows(), what);
                assertEquals(header(bytes, 3), got.getCols(), what);
                assertArrayEquals(payload, got.getPixels(), what);
            } else {
                byte[] got = (byte[]) result;
                assertEquals(IdxReader.LABELS_MAGIC, header(bytes, 0), what);
                assertEquals(header(bytes, 1), got.length, what);
                assertArrayEquals(payload, got, what);
                for (byte label : got) {
                    assertTrue((label & 0xFF) < 10, what);
                }
            }
        }
        // Both outcomes occur: flips in pixels pass, damaged headers and gzip data are refused.
        assertTrue(refused > 50 && read > 10, refused + " refused, " + read + " read");
    }

    @Test
    void damagedCifarFilesAreReadAsTheySayOrRefused() throws Exception {
        Random random = new Random(7);
        int n = 3;
        int record = Cifar100Dataset.RECORD_BYTES;
        byte[] valid = CifarFiles.records(n);
        int refused = 0;
        int read = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < 80; i++) {
                // Whole records cut off (a valid, shorter file) a quarter of the time.
                byte[] damaged =
                        random.nextInt(4) == 0
                                ? Arrays.copyOf(valid, record * random.nextInt(n))
                                : damage(valid, random);
                Path caseDir = Files.createDirectories(dir.resolve("cifar" + i));
                Files.write(caseDir.resolve("test.bin"), damaged);
                Cifar100Dataset ds =
                        Cifar100Dataset.builder()
                                .optDataDir(caseDir)
                                .envDataDir(null)
                                .systemDir(null)
                                .optUsage(Dataset.Usage.TEST)
                                .setSampling(1, false)
                                .build();
                String what = "case " + i + " (" + damaged.length + " bytes)";
                Object result =
                        outcome(
                                what,
                                () -> {
                                    ds.prepare();
                                    return ds;
                                });
                if (result instanceof DataException) {
                    refused++;
                    continue;
                }
                read++;
                int records = damaged.length / record;
                assertEquals(0, damaged.length % record, what);
                assertEquals(records, ds.size(), what);
                long[] all = new long[records];
                for (int r = 0; r < records; r++) {
                    all[r] = r;
                    assertEquals(damaged[r * record + 1] & 0xFF, ds.getLabel(r), what);
                    assertEquals(damaged[r * record] & 0xFF, ds.getCoarseLabel(r), what);
                }
                float[] px = ds.getImages(manager, all).toFloatArray();
                for (int r = 0; r < records; r++) {
                    for (int j = 0; j < 3072; j++) {
                        int expected = damaged[r * record + 2 + j] & 0xFF;
                        assertEquals(expected, Math.round(px[r * 3072 + j] * 255f), what);
                    }
                }
            }
        }
        assertTrue(refused > 20 && read > 10, refused + " refused, " + read + " read");
    }

    @Test
    void gzipHelperRoundTrips() throws IOException {
        byte[] raw = {1, 2, 3};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(IdxFiles.gzip(raw));
        assertArrayEquals(raw, decoded(out.toByteArray(), true));
    }
}
