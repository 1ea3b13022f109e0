package io.github.moge.examples.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.moge.core.compare.PairedDifference;
import io.github.moge.examples.MogeCli;
import io.github.moge.vision.data.FashionMnistDataset;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moge compare}: bad input refused before any compute, a tiny two-seed comparison on real
 * Fashion-MNIST that writes every file, and the resume of an interrupted comparison.
 */
class CompareCommandTest {

    private static final String MOE = "vit-moe-xs-fmnist";
    private static final String MOGE = "vit-moge-xs-fmnist";

    @TempDir Path dir;

    /** Exit code, standard output and error of one invocation. */
    private record Result(int code, String out, String err) {}

    private static Result moge(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                MogeCli.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                        .execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private void assertRefused(String expected, String... args) {
        Result r = moge(args);
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(Files.exists(dir.resolve("cmp")), "nothing is created before the checks");
    }

    @Test
    void refusesBadInputBeforeAnyCompute() {
        String out = dir.resolve("cmp").toString();
        assertRefused(
                "--seeds repeats seed 1",
                "compare",
                "--seeds",
                "1,1",
                "--output",
                out,
                "--baseline",
                MOE,
                "--variant",
                MOGE,
                "--",
                "train-vision");
        assertRefused(
                "--seeds needs at least 2 seeds",
                "compare",
                "--seeds",
                "1",
                "--output",
                out,
                "--baseline",
                MOE,
                "--variant",
                MOGE,
                "--",
                "train-vision");
        assertRefused(
                "--variant vit-mogi-xs-fmnist is not a train-vision preset",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--baseline",
                MOE,
                "--variant",
                "vit-mogi-xs-fmnist",
                "--",
                "train-vision");
        assertRefused(
                "are from different families",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--baseline",
                "smoe-small",
                "--variant",
                "smoge-medium",
                "--",
                "train-lm",
                "--brown",
                out);
        assertRefused(
                "--baseline and --variant are both",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--baseline",
                MOE,
                "--variant",
                MOE,
                "--",
                "train-vision");
        assertRefused(
                "--seed after '--' is set by compare",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--baseline",
                MOE,
                "--variant",
                MOGE,
                "--",
                "train-vision",
                "--seed",
                "4");
        assertRefused(
                "--baseline/--variant do not apply to invariance",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--baseline",
                MOE,
                "--",
                "invariance");
        assertRefused(
                "unknown training command 'train-foo'",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--",
                "train-foo");
        assertRefused(
                "'train-vision' after '--': Unknown option",
                "compare",
                "--seeds",
                "1,2",
                "--output",
                out,
                "--baseline",
                MOE,
                "--variant",
                MOGE,
                "--",
                "train-vision",
                "--epoch",
                "3");
        assertRefused("holds no comparison", "compare", "--resume", out);
    }

    @Test
    void tinyTwoSeedComparisonWritesEveryFileAndResumes() throws IOException {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        Path out = dir.resolve("cmp");
        Result first =
                moge(
                        "compare",
                        "--seeds",
                        "1,2",
                        "--output",
                        out.toString(),
                        "--baseline",
                        MOE,
                        "--variant",
                        MOGE,
                        "--bootstrap",
                        "200",
                        "--",
                        "train-vision",
                        "--train-limit",
                        "16",
                        "--test-limit",
                        "16",
                        "--epochs",
                        "1",
                        "--experts",
                        "9",
                        "--top-k",
                        "2",
                        "--batch-size",
                        "8",
                        "--no-progress");
        assertEquals(0, first.code(), first.out() + first.err());

        List<String> csv = Files.readAllLines(out.resolve("compare.csv"));
        assertEquals("seed,arm,test_acc1,test_acc5", csv.get(0));
        assertEquals(5, csv.size(), csv.toString());
        String[] arms = {MOE, MOGE, MOE, MOGE};
        String[] seeds = {"1", "1", "2", "2"};
        double[] acc1 = new double[4];
        for (int i = 0; i < 4; i++) {
            String[] row = csv.get(i + 1).split(",");
            assertEquals(4, row.length, csv.get(i + 1));
            assertEquals(seeds[i], row[0]);
            assertEquals(arms[i], row[1]);
            acc1[i] = Double.parseDouble(row[2]);
            assertTrue(acc1[i] >= 0 && acc1[i] <= 1, csv.get(i + 1));
            assertTrue(Double.parseDouble(row[3]) >= acc1[i], csv.get(i + 1));
            assertTrue(
                    Files.isRegularFile(
                            out.resolve("seed-" + seeds[i])
                                    .resolve(arms[i])
                                    .resolve("config.json")),
                    "run directory of seed " + seeds[i] + " " + arms[i]);
        }

        // The verdict agrees with the t interval of the per-seed values in compare.csv.
        String md = Files.readString(out.resolve("compare.md"));
        PairedDifference d =
                PairedDifference.of(
                        new double[] {acc1[0], acc1[2]}, new double[] {acc1[1], acc1[3]}, 0.95);
        String favoured =
                !d.interval().excludesZero() ? null : d.interval().estimate() > 0 ? MOGE : MOE;
        Matcher verdict =
                Pattern.compile(
                                "- test_acc1: (resolved in favour of (\\S+)|no resolvable"
                                        + " difference) \\(")
                        .matcher(md);
        assertTrue(verdict.find(), md);
        assertEquals(favoured, verdict.group(2), md);
        assertTrue(md.contains("- test_acc5: "), md);
        assertTrue(md.contains("| command | moge train-vision --train-limit 16"), md);
        assertTrue(md.contains("| test_acc1 | higher |"), md);
        BufferedImage png = ImageIO.read(out.resolve("compare.png").toFile());
        assertTrue(png != null && png.getWidth() > 1000, "compare.png is a two-panel image");

        // Interrupt: seed 2's variant has no result and its run directory is gone; a resume runs it
        // alone and leaves the finished runs as they were.
        Path missing = out.resolve("seed-2").resolve(MOGE + ".json");
        Files.delete(missing);
        deleteTree(out.resolve("seed-2").resolve(MOGE));
        List<Path> kept = new ArrayList<>();
        List<FileTime> times = new ArrayList<>();
        for (String[] run : new String[][] {{"1", MOE}, {"1", MOGE}, {"2", MOE}}) {
            Path result = out.resolve("seed-" + run[0]).resolve(run[1] + ".json");
            kept.add(result);
            times.add(Files.getLastModifiedTime(result));
            Path config = out.resolve("seed-" + run[0]).resolve(run[1]).resolve("config.json");
            kept.add(config);
            times.add(Files.getLastModifiedTime(config));
        }
        Result refused = moge("compare", "--resume", out.toString(), "--seeds", "1,2,3");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--seeds given with --resume"), refused.err());
        Result resumed = moge("compare", "--resume", out.toString());
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(
                resumed.out().contains("3 of 4 runs finished earlier; 1 job(s) to run"),
                resumed.out());
        assertTrue(resumed.out().contains("compare: running seed 2 " + MOGE), resumed.out());
        assertFalse(resumed.out().contains("compare: running seed 1"), resumed.out());
        assertTrue(Files.isRegularFile(missing));
        for (int i = 0; i < kept.size(); i++) {
            assertEquals(times.get(i), Files.getLastModifiedTime(kept.get(i)), kept.get(i) + "");
        }
        List<String> again = Files.readAllLines(out.resolve("compare.csv"));
        assertEquals(csv.subList(0, 4), again.subList(0, 4));
        // Same seed, same settings: the re-run variant reproduces its first result.
        assertEquals(csv.get(4), again.get(4));
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.delete(p);
            }
        }
    }
}
