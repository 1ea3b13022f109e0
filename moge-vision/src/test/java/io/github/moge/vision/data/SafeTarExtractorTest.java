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
                assertThrows(
                        DataException.class,
                        () -> new SafeTarExtractor(maxEntry, maxTotal).extract(archive, target));
        return e.getMessage();
    }

    @Test
    void extractsRegularFilesAndDirectories() throws IOException {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        Path archive = dir.resolve("ok.tar.gz");
        new TarFiles()
                .entry("d/", '5', new byte[0], 0, "")
                .file("d/e/f.txt", data)
                .file("g.bin", new byte[700])
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
        assertTrue(
                refused(new TarFiles().file("/etc/x", new byte[1]), 100, 100).contains("absolute"));
        assertTrue(
                refused(new TarFiles().entry("l", '2', new byte[0], 0, "/etc/passwd"), 100, 100)
                        .contains("symbolic link"));
        assertTrue(
                refused(new TarFiles().entry("h", '1', new byte[0], 0, "x"), 100, 100)
                        .contains("hard link"));
        assertTrue(
                refused(new TarFiles().entry("c", '3', new byte[0], 0, ""), 100, 100)
                        .contains("unsupported type"));
        String big =
                refused(new TarFiles().entry("big", '0', new byte[0], 1L << 32, ""), 1000, 1000);
        assertTrue(big.contains("4294967296") && big.contains("more than"), big);
        String total =
                refused(
                        new TarFiles().file("a", new byte[600]).file("b", new byte[600]),
                        1000,
                        1000);
        assertTrue(total.contains("exceeds 1000"), total);
        assertTrue(
                Files.notExists(dir.resolve("out/a")) || Files.size(dir.resolve("out/a")) == 600);
        assertTrue(Files.notExists(dir.resolve("out/b")));
        Path cut = dir.resolve("cut.tar");
        Files.write(
                cut,
                java.util.Arrays.copyOf(
                        new TarFiles().entry("t", '0', new byte[10], 600, "").bytes(), 522));
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> new SafeTarExtractor(1000, 1000).extract(cut, dir.resolve("o2")));
        assertTrue(e.getMessage().contains("truncated entry t: 10 of 600"), e.getMessage());
        assertTrue(
                Files.notExists(dir.resolve("o2/t")),
                "a truncated entry never appears under its name");
        assertTrue(Files.notExists(dir.resolve("o2/t.part")), "nor as a partial file");
    }

    @Test
    void refusesWritingThroughPlantedLink() throws IOException {
        Path target = Files.createDirectories(dir.resolve("out"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.createSymbolicLink(target.resolve("sub"), outside);
        Path archive = dir.resolve("a.tar.gz");
        new TarFiles().file("sub/x", new byte[3]).writeGz(archive);
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> new SafeTarExtractor(100, 100).extract(archive, target));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.notExists(outside.resolve("x")));
    }

    @Test
    void refusesGarbage() throws IOException {
        Path archive = dir.resolve("g.tar");
        byte[] junk = new byte[1024];
        junk[0] = 'x';
        Files.write(archive, junk);
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> new SafeTarExtractor(100, 100).extract(archive, dir.resolve("o")));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void resolvesLongNamesAndPaxPathsThenChecksThem() throws IOException {
        String longName = "d/" + "n".repeat(120) + ".bin";
        byte[] data = {1, 2, 3};
        Path archive = dir.resolve("long.tar.gz");
        new TarFiles()
                .longName(longName)
                .file("ignored", data)
                .pax("path", "p/renamed.txt")
                .file("short", data)
                .writeGz(archive);
        List<Path> out = new SafeTarExtractor(100, 100).extract(archive, dir.resolve("t"));
        assertEquals(2, out.size());
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("t").resolve(longName)));
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("t/p/renamed.txt")));
        assertTrue(Files.notExists(dir.resolve("t/ignored")));
        assertTrue(Files.notExists(dir.resolve("t/short")));
        // The name after the long-name or pax record is the one checked.
        assertTrue(
                refused(new TarFiles().longName("a/../../x").file("ok", new byte[1]), 100, 100)
                        .contains(".."));
        assertTrue(
                refused(new TarFiles().pax("path", "../x").file("ok", new byte[1]), 100, 100)
                        .contains(".."));
        // commons-compress would strip the leading '/' of these; they are refused instead.
        assertTrue(
                refused(new TarFiles().longName("/etc/x").file("ok", new byte[1]), 100, 100)
                        .contains("absolute"));
        assertTrue(
                refused(new TarFiles().pax("path", "/etc/x").file("ok", new byte[1]), 100, 100)
                        .contains("absolute"));
        TarFiles link =
                new TarFiles().pax("linkpath", "/etc/passwd").entry("ok", '2', new byte[0], 0, "");
        assertTrue(refused(link, 100, 100).contains("symbolic link"));
        TarFiles paxSize = new TarFiles().pax("size", "5000").file("ok", new byte[0]);
        String big = refused(paxSize, 1000, 1000);
        assertTrue(big.contains("5000") && big.contains("more than"), big);
    }

    @Test
    void refusesFifosSparseFilesAndOversizedMetadata() throws IOException {
        assertTrue(
                refused(new TarFiles().entry("f", '6', new byte[0], 0, ""), 100, 100)
                        .contains("unsupported type"));
        assertTrue(
                refused(new TarFiles().entry("s", 'S', new byte[0], 0, ""), 100, 100)
                        .contains("unsupported type"));
        String name = "x".repeat(SafeTarExtractor.MAX_METADATA_BYTES + 1);
        String meta = refused(new TarFiles().longName(name).file("ok", new byte[1]), 100, 100);
        assertTrue(meta.contains("metadata"), meta);
    }

    @Test
    void refusesTruncatedHeadersAndBadChecksums() throws IOException {
        Path cut = dir.resolve("cut.tar");
        byte[] whole = new TarFiles().file("a", new byte[3]).file("b", new byte[3]).bytes();
        Files.write(cut, java.util.Arrays.copyOf(whole, 1024 + 100));
        SafeTarExtractor extractor = new SafeTarExtractor(100, 100);
        DataException e =
                assertThrows(DataException.class, () -> extractor.extract(cut, dir.resolve("o")));
        assertTrue(e.getMessage().contains("truncated tar header"), e.getMessage());
        // A well-formed header with one byte changed after its checksum was computed.
        Path bad = dir.resolve("bad.tar");
        byte[] tar = new TarFiles().file("a", new byte[3]).bytes();
        tar[0] = 'b';
        Files.write(bad, tar);
        e = assertThrows(DataException.class, () -> extractor.extract(bad, dir.resolve("o3")));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("o3/b")) && Files.notExists(dir.resolve("o3/a")));
    }

    @Test
    void oldStyleDirectoryEntriesBecomeDirectories() throws IOException {
        Path archive = dir.resolve("old.tar");
        Files.write(
                archive, new TarFiles().file("d/", new byte[0]).file("d/x", new byte[2]).bytes());
        List<Path> out = new SafeTarExtractor(100, 100).extract(archive, dir.resolve("t"));
        assertEquals(List.of(dir.resolve("t/d/x").toRealPath()), out);
        assertTrue(Files.isDirectory(dir.resolve("t/d")));
    }

    @Test
    void aRefusedArchiveLeavesTheTargetAsItWas() throws IOException {
        Path target = Files.createDirectories(dir.resolve("keep"));
        Files.write(target.resolve("old.txt"), new byte[] {7});
        Path archive = dir.resolve("bad.tar.gz");
        // good entries first, then one the policy refuses: none of the good ones may land
        new TarFiles()
                .file("cifar/train.bin", new byte[20])
                .file("cifar/meta.txt", new byte[3])
                .entry("cifar/evil", '2', new byte[0], 0, "/etc/passwd")
                .writeGz(archive);
        assertThrows(
                DataException.class, () -> new SafeTarExtractor(100, 100).extract(archive, target));
        try (java.util.stream.Stream<Path> left = Files.list(target)) {
            assertEquals(List.of(target.resolve("old.txt")), left.toList());
        }
        // and a good archive extracts fully, with no staging directory left behind
        Path good = dir.resolve("good.tar.gz");
        new TarFiles().file("cifar/train.bin", new byte[20]).writeGz(good);
        List<Path> out = new SafeTarExtractor(100, 100).extract(good, target);
        assertEquals(List.of(target.toRealPath().resolve("cifar/train.bin")), out);
        try (java.util.stream.Stream<Path> left = Files.list(target)) {
            assertEquals(
                    2,
                    left.filter(p -> !p.getFileName().toString().startsWith(".extracting-"))
                            .count());
        }
        try (java.util.stream.Stream<Path> left = Files.list(target)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".extracting-")));
        }
    }
}
