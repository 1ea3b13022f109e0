package io.github.moge.vision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTarExtractorTest {

    @TempDir Path dir;

    private String refused(TarFiles tar, long maxEntry, long maxTotal) throws IOException {
        Path archive = dir.resolve("a.tar.gz");
        tar.writeGz(archive);
        Path target = dir.resolve("out");
        DataException e =
                assertThrows(DataException.class, () -> new SafeTarExtractor(maxEntry, maxTotal).extract(archive, target));
        return e.getMessage();
    }

    @Test
    void extractsRegularFilesAndDirectories() throws IOException {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        Path archive = dir.resolve("ok.tar.gz");
        new TarFiles().entry("d/", '5', new byte[0], 0, "").file("d/e/f.txt", data).file("g.bin", new byte[700])
                .writeGz(archive);
        List<Path> out = new SafeTarExtractor(1000, 2000).extract(archive, dir.resolve("t"));
        assertEquals(2, out.size());
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("t/d/e/f.txt")));
        assertEquals(700, Files.size(dir.resolve("t/g.bin")));
        // Also plain (uncompressed) tar.
        Path plain = dir.resolve("ok.tar");
        Files.write(plain, new TarFiles().file("x.txt", data).bytes());
        new SafeTarExtractor(1000, 2000).extract(plain, dir.resolve("p"));
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("p/x.txt")));
    }

    @Test
    void refusesEscapesLinksAndAbsurdSizes() throws IOException {
        assertTrue(refused(new TarFiles().file("a/../../x", new byte[1]), 100, 100).contains(".."));
        assertTrue(refused(new TarFiles().file("/etc/x", new byte[1]), 100, 100).contains("absolute"));
        assertTrue(refused(new TarFiles().entry("l", '2', new byte[0], 0, "/etc/passwd"), 100, 100).contains("symbolic link"));
        assertTrue(refused(new TarFiles().entry("h", '1', new byte[0], 0, "x"), 100, 100).contains("hard link"));
        assertTrue(refused(new TarFiles().entry("c", '3', new byte[0], 0, ""), 100, 100).contains("unsupported type"));
        String big = refused(new TarFiles().entry("big", '0', new byte[0], 1L << 32, ""), 1000, 1000);
        assertTrue(big.contains("4294967296") && big.contains("more than"), big);
        String total = refused(new TarFiles().file("a", new byte[600]).file("b", new byte[600]), 1000, 1000);
        assertTrue(total.contains("exceeds 1000"), total);
        assertTrue(Files.notExists(dir.resolve("out/a")) || Files.size(dir.resolve("out/a")) == 600);
        assertTrue(Files.notExists(dir.resolve("out/b")));
        Path cut = dir.resolve("cut.tar");
        Files.write(cut, java.util.Arrays.copyOf(new TarFiles().entry("t", '0', new byte[10], 600, "").bytes(), 522));
        DataException e = assertThrows(DataException.class, () -> new SafeTarExtractor(1000, 1000).extract(cut, dir.resolve("o2")));
        assertTrue(e.getMessage().contains("truncated entry t: 10 of 600"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("o2/t")), "a truncated entry never appears under its name");
        assertTrue(Files.notExists(dir.resolve("o2/t.part")), "nor as a partial file");
    }

    @Test
    void refusesWritingThroughPlantedLink() throws IOException {
        Path target = Files.createDirectories(dir.resolve("out"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.createSymbolicLink(target.resolve("sub"), outside);
        Path archive = dir.resolve("a.tar.gz");
        new TarFiles().file("sub/x", new byte[3]).writeGz(archive);
        DataException e = assertThrows(DataException.class, () -> new SafeTarExtractor(100, 100).extract(archive, target));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.notExists(outside.resolve("x")));
    }

    @Test
    void refusesGarbage() throws IOException {
        Path archive = dir.resolve("g.tar");
        byte[] junk = new byte[1024];
        junk[0] = 'x';
        Files.write(archive, junk);
        DataException e = assertThrows(DataException.class, () -> new SafeTarExtractor(100, 100).extract(archive, dir.resolve("o")));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }
}
