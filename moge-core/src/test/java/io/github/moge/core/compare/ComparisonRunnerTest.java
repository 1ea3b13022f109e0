package io.github.moge.core.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.StopRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner on a synthetic task: files, resume, two at a time, paired runs, bad settings. */
class ComparisonRunnerTest {

    @TempDir Path dir;

    private ComparisonRunner.Builder runner(Path out) {
        return ComparisonRunner.builder()
                .setArms("moe", "moge")
                .setSeeds(List.of(1L, 2L, 3L))
                .addMetric(Metric.higherIsBetter("acc"))
                .addMetric(Metric.lowerIsBetter("imed"))
                .setOutput(out)
                .optLog(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    /** The variant is 0.1 more accurate at every seed; IMED has no consistent difference. */
    private static RunResult synthetic(long seed, String arm) {
        boolean v = arm.equals("moge");
        double[] examples = new double[50];
        for (int i = 0; i < examples.length; i++) {
            examples[i] = (i * 7 + seed) % 5 + (v && i % 2 == 0 ? 0.01 : 0);
        }
        return RunResult.builder()
                .addMetric("acc", 0.5 + 0.01 * seed + (v ? 0.1 : 0))
                .addMetric("imed", 2 + (v ? (seed == 2 ? 0.3 : -0.2) : 0))
                .addPerExample("imed", examples)
                .setCurve("loss", new double[] {3, 2, 1.5})
                .build();
    }

    @Test
    void writesCsvMarkdownAndPlot() throws IOException {
        List<Path> plotted = new ArrayList<>();
        ComparisonResult r =
                runner(dir)
                        .addSetting("command", "train-lm --epochs 1")
                        .optPlot((result, file) -> plotted.add(file))
                        .build()
                        .run((seed, arm, runDir) -> synthetic(seed, arm));
        List<String> csv = Files.readAllLines(dir.resolve(ComparisonRunner.CSV_FILE));
        assertEquals("seed,arm,acc,imed", csv.get(0));
        assertEquals(7, csv.size());
        assertEquals("1,moe,0.51,2.0", csv.get(1));
        assertTrue(csv.get(2).startsWith("1,moge,0.61"), csv.get(2));
        MetricComparison acc = r.getMetric("acc");
        assertEquals(0.1, acc.seeds().interval().estimate(), 1e-12);
        assertEquals("moge", acc.favoured("moe", "moge"));
        assertEquals(null, acc.bootstrap());
        MetricComparison imed = r.getMetric("imed");
        assertFalse(imed.isResolved());
        assertTrue(imed.bootstrap() != null);
        String md = Files.readString(dir.resolve(ComparisonRunner.MARKDOWN_FILE));
        assertTrue(md.contains("| command | train-lm --epochs 1 |"), md);
        assertTrue(md.contains("- acc: resolved in favour of moge"), md);
        assertTrue(md.contains("- imed: no resolvable difference"), md);
        assertTrue(md.contains("over test examples the 95% bootstrap interval"), md);
        assertEquals(List.of(dir.resolve(ComparisonRunner.PLOT_FILE)), plotted);
        assertTrue(Files.isRegularFile(dir.resolve("seed-2").resolve("moge.json")));
    }

    /** A later invocation of the same comparison, recording every run it executes. */
    private ComparisonResult resumeRecording(List<String> ran) throws IOException {
        return runner(dir)
                .build()
                .run(
                        (seed, arm, runDir) -> {
                            ran.add(seed + arm);
                            return synthetic(seed, arm);
                        });
    }

    @Test
    void resumeRunsOnlyTheUnfinishedRuns() throws IOException {
        ComparisonRunner first = runner(dir).build();
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        assertThrows(
                ComparisonFailedException.class,
                () ->
                        first.run(
                                (seed, arm, runDir) -> {
                                    if (seed == 2 && arm.equals("moge")) {
                                        throw new IllegalStateException("interrupted");
                                    }
                                    ran.add(seed + arm);
                                    return synthetic(seed, arm);
                                }));
        assertEquals(List.of("seed 2 moge"), first.unfinished());
        ran.clear();
        ComparisonResult r = resumeRecording(ran);
        assertEquals(List.of("2moge"), ran);
        assertEquals(3, r.getMetric("acc").seeds().seeds());
    }

    @Test
    void aStoppedRunStopsTheComparisonAndResumeFinishesIt() throws IOException {
        // Seeds 1..3 in order; the variant of seed 1 stops on a signal: nothing after it starts.
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        ComparisonStoppedException e =
                assertThrows(
                        ComparisonStoppedException.class,
                        () ->
                                runner(dir)
                                        .build()
                                        .run(
                                                (seed, arm, runDir) -> {
                                                    ran.add(seed + arm);
                                                    if (seed == 1 && arm.equals("moge")) {
                                                        throw new RunStoppedException(
                                                                "stopped at step 6", "SIGTERM");
                                                    }
                                                    return synthetic(seed, arm);
                                                }));
        assertEquals(List.of("1moe", "1moge"), ran);
        assertEquals("SIGTERM", e.getReason());
        assertEquals(
                List.of("seed 1 moge", "seed 2 moe", "seed 2 moge", "seed 3 moe", "seed 3 moge"),
                e.getUnfinished());
        assertFalse(Files.exists(dir.resolve(ComparisonRunner.CSV_FILE)));
        ran.clear();
        ComparisonResult r = resumeRecording(ran);
        assertEquals(List.of("1moge", "2moe", "2moge", "3moe", "3moge"), ran);
        assertEquals(3, r.getMetric("acc").seeds().seeds());
    }

    @Test
    void aStopRequestStartsNoFurtherRunsInParallel() {
        // Two at a time: the request arrives while seed 1's pair runs; both finish, nothing else
        // starts.
        StopRequest stop = new StopRequest();
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch bothStarted = new CountDownLatch(2);
        ComparisonStoppedException e =
                assertThrows(
                        ComparisonStoppedException.class,
                        () ->
                                runner(dir)
                                        .optParallel(2)
                                        .optStopRequest(stop)
                                        .build()
                                        .run(
                                                (seed, arm, runDir) -> {
                                                    ran.add(seed + arm);
                                                    bothStarted.countDown();
                                                    bothStarted.await();
                                                    stop.request("SIGINT");
                                                    return synthetic(seed, arm);
                                                }));
        assertEquals(Set.of("1moe", "1moge"), Set.copyOf(ran));
        assertEquals("SIGINT", e.getReason());
        assertEquals(4, e.getUnfinished().size());
        assertTrue(Files.isRegularFile(dir.resolve("seed-1").resolve("moge.json")));
    }

    @Test
    void runsTwoAtATime() throws IOException {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        runner(dir)
                .optParallel(2)
                .build()
                .run(
                        (seed, arm, runDir) -> {
                            most.accumulateAndGet(running.incrementAndGet(), Math::max);
                            try {
                                Thread.sleep(50);
                            } finally {
                                running.decrementAndGet();
                            }
                            return synthetic(seed, arm);
                        });
        assertEquals(2, most.get());
    }

    @Test
    void pairedRunsTrainBothArmsOnce() throws IOException {
        List<Long> ran = Collections.synchronizedList(new ArrayList<>());
        ComparisonResult r =
                runner(dir)
                        .build()
                        .runPaired(
                                (seed, runDir) -> {
                                    ran.add(seed);
                                    return Map.of(
                                            "moe", synthetic(seed, "moe"),
                                            "moge", synthetic(seed, "moge"));
                                });
        assertEquals(List.of(1L, 2L, 3L), ran);
        assertEquals(0.61, r.getRun(1, "moge").getMetric("acc"), 1e-12);
    }

    @Test
    void refusesBadSettings() {
        assertThrows(
                IllegalArgumentException.class,
                () -> runner(dir).setSeeds(List.of(1L, 1L)).build());
        assertThrows(
                IllegalArgumentException.class, () -> runner(dir).setSeeds(List.of(1L)).build());
        assertThrows(
                IllegalArgumentException.class, () -> runner(dir).setArms("moe", "moe").build());
        assertThrows(
                IllegalArgumentException.class, () -> runner(dir).setArms("../x", "moe").build());
    }

    @Test
    void resultRoundTripsThroughJson() {
        RunResult r = synthetic(3, "moge");
        RunResult back = RunResult.fromJson(r.toJson());
        assertEquals(r.getMetrics(), back.getMetrics());
        assertEquals("loss", back.getCurveName());
        assertEquals(50, back.getPerExample().get("imed").length);
    }
}
