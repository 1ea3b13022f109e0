package io.github.moge.core.compare;

import io.github.moge.core.training.StopRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a paired multi-seed comparison of a baseline and a variant on any task given as a function,
 * then writes {@code compare.csv}, {@code compare.md} and (with a {@link ComparisonPlot}) {@code
 * compare.png} into the output directory.
 *
 * <p>Layout: each (seed, arm) runs in {@code OUTPUT/seed-S/ARM/} and its result is saved as {@code
 * OUTPUT/seed-S/ARM.json} once the run returns; a run whose result file exists is finished and is
 * skipped by a later invocation, so an interrupted comparison continues where it stopped (an
 * unfinished run gets its directory back and may resume from it). With {@link #runPaired(SeedRun)}
 * both arms of a seed train in one run in {@code OUTPUT/seed-S/run/}.
 *
 * <pre>{@code
 * ComparisonResult r = ComparisonRunner.builder()
 *         .setArms("moe", "moge")
 *         .setSeeds(List.of(1L, 2L, 3L))
 *         .addMetric(Metric.higherIsBetter("test_accuracy"))
 *         .setOutput(Path.of("runs/compare"))
 *         .build()
 *         .run((seed, arm, dir) -> train(seed, arm, dir));
 * r.verdicts().forEach(System.out::println);
 * }</pre>
 */
public final class ComparisonRunner {

    /** The table of every (seed, arm) and metric. */
    public static final String CSV_FILE = "compare.csv";

    /** The report: settings, means, paired differences with intervals, verdicts. */
    public static final String MARKDOWN_FILE = "compare.md";

    /** The figure written by the {@link ComparisonPlot}. */
    public static final String PLOT_FILE = "compare.png";

    private final String baseline;
    private final String variant;
    private final List<Long> seeds;
    private final List<Metric> metrics;
    private final Path output;
    private final int parallel;
    private final double confidence;
    private final int resamples;
    private final long bootstrapSeed;
    private final Map<String, String> settings;
    private final ComparisonPlot plot;
    private final PrintStream log;
    private final StopRequest stop;

    private ComparisonRunner(Builder b) {
        this.baseline = b.baseline;
        this.variant = b.variant;
        this.seeds = List.copyOf(b.seeds);
        this.metrics = List.copyOf(b.metrics);
        this.output = b.output;
        this.parallel = b.parallel;
        this.confidence = b.confidence;
        this.resamples = b.resamples;
        this.bootstrapSeed = b.bootstrapSeed;
        this.settings = new LinkedHashMap<>(b.settings);
        this.plot = b.plot;
        this.log = b.log;
        this.stop = b.stop == null ? new StopRequest() : b.stop;
    }

    /** {@return a new builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the directory of one (seed, arm) run.
     *
     * @param seed the seed
     * @param arm the arm
     * @return {@code OUTPUT/seed-S/ARM}
     */
    public Path runDirectory(long seed, String arm) {
        return seedDirectory(seed).resolve(arm);
    }

    /**
     * Returns the result file of one (seed, arm); it exists once the run finished.
     *
     * @param seed the seed
     * @param arm the arm
     * @return {@code OUTPUT/seed-S/ARM.json}
     */
    public Path resultFile(long seed, String arm) {
        return seedDirectory(seed).resolve(arm + ".json");
    }

    private Path seedDirectory(long seed) {
        return output.resolve("seed-" + seed);
    }

    /**
     * Returns the (seed, arm) runs without a result yet, as {@code "seed S ARM"} in run order.
     *
     * @return the unfinished runs
     */
    public List<String> unfinished() {
        List<String> out = new ArrayList<>();
        for (long seed : seeds) {
            for (String arm : List.of(baseline, variant)) {
                if (!Files.isRegularFile(resultFile(seed, arm))) {
                    out.add("seed " + seed + " " + arm);
                }
            }
        }
        return out;
    }

    /**
     * Runs every unfinished (seed, arm), up to {@code parallel} at a time, then writes the report.
     *
     * @param run the task
     * @return the comparison
     * @throws IOException if a result or report file cannot be read or written
     * @throws ComparisonFailedException if some runs failed (the others are saved)
     * @throws ComparisonStoppedException if a stop was requested or a run threw {@link
     *     RunStoppedException} (finished runs are saved)
     */
    public ComparisonResult run(ArmRun run) throws IOException {
        List<Job> jobs = new ArrayList<>();
        for (long seed : seeds) {
            for (String arm : List.of(baseline, variant)) {
                if (!Files.isRegularFile(resultFile(seed, arm))) {
                    String name = "seed " + seed + " " + arm;
                    jobs.add(
                            new Job(
                                    name,
                                    () -> {
                                        RunResult r = run.run(seed, arm, runDirectory(seed, arm));
                                        save(seed, arm, r);
                                    }));
                }
            }
        }
        execute(jobs);
        return finish();
    }

    /**
     * Runs every seed that lacks a result of either arm with a function that trains both arms in
     * one run (in {@code OUTPUT/seed-S/run/}), up to {@code parallel} seeds at a time, then writes
     * the report.
     *
     * @param run the task
     * @return the comparison
     * @throws IOException if a result or report file cannot be read or written
     * @throws ComparisonFailedException if some runs failed (the others are saved)
     * @throws ComparisonStoppedException if a stop was requested or a run threw {@link
     *     RunStoppedException} (finished runs are saved)
     */
    public ComparisonResult runPaired(SeedRun run) throws IOException {
        List<Job> jobs = new ArrayList<>();
        for (long seed : seeds) {
            if (!Files.isRegularFile(resultFile(seed, baseline))
                    || !Files.isRegularFile(resultFile(seed, variant))) {
                jobs.add(
                        new Job(
                                "seed " + seed,
                                () -> {
                                    Map<String, RunResult> r =
                                            run.run(seed, seedDirectory(seed).resolve("run"));
                                    for (String arm : List.of(baseline, variant)) {
                                        if (r == null || !r.containsKey(arm)) {
                                            throw new IllegalStateException(
                                                    "the seed run returned no result for " + arm);
                                        }
                                    }
                                    save(seed, baseline, r.get(baseline));
                                    save(seed, variant, r.get(variant));
                                }));
            }
        }
        execute(jobs);
        return finish();
    }

    /** One unit of work, named for the log and the failure report. */
    private record Job(String name, Task task) {}

    /** A job's body. */
    @FunctionalInterface
    private interface Task {
        void run() throws Exception;
    }

    private void execute(List<Job> jobs) {
        log.printf(
                Locale.ROOT,
                "compare: %d of %d runs finished earlier; %d job(s) to run, %d at a time%n",
                2 * seeds.size() - unfinished().size(),
                2 * seeds.size(),
                jobs.size(),
                Math.min(parallel, Math.max(1, jobs.size())));
        if (jobs.isEmpty()) {
            return;
        }
        Map<String, Throwable> failures = new LinkedHashMap<>();
        if (parallel == 1) {
            // On the caller's thread: engines with per-thread state (PyTorch's autograd mode, set
            // by DJL on the thread that started the engine) then see the thread they expect.
            for (Job job : jobs) {
                Throwable t = runJob(job);
                if (t != null) {
                    failures.put(job.name(), t);
                }
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(parallel);
            try {
                List<Future<Throwable>> futures = new ArrayList<>();
                for (Job job : jobs) {
                    futures.add(pool.submit(() -> runJob(job)));
                }
                for (int i = 0; i < jobs.size(); i++) {
                    try {
                        Throwable t = futures.get(i).get();
                        if (t != null) {
                            failures.put(jobs.get(i).name(), t);
                        }
                    } catch (ExecutionException e) {
                        failures.put(jobs.get(i).name(), e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failures.put(jobs.get(i).name(), e);
                        break;
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
        if (stop.isRequested()) {
            ComparisonStoppedException e =
                    new ComparisonStoppedException(stop.getReason(), unfinished());
            failures.values().forEach(e::addSuppressed);
            throw e;
        }
        if (!failures.isEmpty()) {
            throw new ComparisonFailedException(failures);
        }
    }

    /**
     * Runs one job unless a stop was requested; a run that stopped on request requests the stop of
     * the comparison, so no further run starts.
     *
     * @return the failure, or null (finished, stopped or skipped)
     */
    private Throwable runJob(Job job) {
        if (stop.isRequested()) {
            return null;
        }
        log.println("compare: running " + job.name());
        try {
            job.task().run();
            log.println("compare: finished " + job.name());
            return null;
        } catch (RunStoppedException e) {
            log.println("compare: " + job.name() + " stopped: " + e.getMessage());
            stop.request(e.getReason());
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    private void save(long seed, String arm, RunResult result) throws IOException {
        for (Metric m : metrics) {
            if (!result.getMetrics().containsKey(m.name())) {
                throw new IllegalStateException(
                        "seed " + seed + " " + arm + " measured no " + m.name());
            }
        }
        Path file = resultFile(seed, arm);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, result.toJson(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private ComparisonResult finish() throws IOException {
        Map<String, Map<Long, RunResult>> runs = new LinkedHashMap<>();
        for (String arm : List.of(baseline, variant)) {
            Map<Long, RunResult> byseed = new LinkedHashMap<>();
            for (long seed : seeds) {
                Path file = resultFile(seed, arm);
                try {
                    byseed.put(
                            seed,
                            RunResult.fromJson(Files.readString(file, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": " + e.getMessage(), e);
                }
            }
            runs.put(arm, byseed);
        }
        List<MetricComparison> out = new ArrayList<>();
        PairedBootstrap bootstrap = new PairedBootstrap(resamples, bootstrapSeed);
        for (Metric m : metrics) {
            double[] b = new double[seeds.size()];
            double[] v = new double[seeds.size()];
            List<double[]> bx = new ArrayList<>();
            List<double[]> vx = new ArrayList<>();
            for (int i = 0; i < seeds.size(); i++) {
                RunResult rb = runs.get(baseline).get(seeds.get(i));
                RunResult rv = runs.get(variant).get(seeds.get(i));
                b[i] = rb.getMetric(m.name());
                v[i] = rv.getMetric(m.name());
                if (rb.getPerExample().containsKey(m.name())
                        && rv.getPerExample().containsKey(m.name())) {
                    bx.add(rb.getPerExample().get(m.name()));
                    vx.add(rv.getPerExample().get(m.name()));
                }
            }
            Interval boot =
                    bx.size() == seeds.size() ? bootstrap.interval(bx, vx, confidence) : null;
            out.add(new MetricComparison(m, PairedDifference.of(b, v, confidence), boot));
        }
        Map<String, String> described = new LinkedHashMap<>(settings);
        described.put("confidence", MetricComparison.percent(confidence));
        described.put(
                "bootstrap", resamples + " resamples over test examples, seed " + bootstrapSeed);
        ComparisonResult result =
                new ComparisonResult(baseline, variant, seeds, runs, out, described);
        ComparisonReport.writeCsv(result, metrics, output.resolve(CSV_FILE));
        ComparisonReport.writeMarkdown(result, output.resolve(MARKDOWN_FILE));
        if (plot != null) {
            plot.write(result, output.resolve(PLOT_FILE));
        }
        for (String line : result.verdicts()) {
            log.println(line);
        }
        return result;
    }

    /** Builds a {@link ComparisonRunner}. */
    public static final class Builder {

        private String baseline;
        private String variant;
        private List<Long> seeds = List.of();
        private final List<Metric> metrics = new ArrayList<>();
        private Path output;
        private int parallel = 1;
        private double confidence = 0.95;
        private int resamples = 2000;
        private long bootstrapSeed = 1;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private ComparisonPlot plot;
        private PrintStream log = System.out;
        private StopRequest stop;

        Builder() {}

        /**
         * Sets the two arms; their names name the run directories and the columns of the report.
         *
         * @param baseline the baseline, e.g. {@code moe}
         * @param variant the variant, e.g. {@code moge}
         * @return this builder
         */
        public Builder setArms(String baseline, String variant) {
            this.baseline = baseline;
            this.variant = variant;
            return this;
        }

        /**
         * Sets the seeds: at least 2, no repeats.
         *
         * @param seeds the seeds
         * @return this builder
         */
        public Builder setSeeds(List<Long> seeds) {
            this.seeds = List.copyOf(seeds);
            return this;
        }

        /**
         * Adds a metric to compare; every run result must hold it.
         *
         * @param metric the metric
         * @return this builder
         */
        public Builder addMetric(Metric metric) {
            metrics.add(metric);
            return this;
        }

        /**
         * Sets the output directory (created if absent).
         *
         * @param output the directory
         * @return this builder
         */
        public Builder setOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Sets how many runs execute at a time (default 1: one after the other on the calling
         * thread). With more, the runs execute on pool threads of this process: a task that needs
         * per-thread engine state (DJL's PyTorch engine keeps the autograd mode per thread) or one
         * thread pool per run (PyTorch's intra-op pool is per process) should start child
         * processes, as {@code moge compare} does.
         *
         * @param parallel &gt;= 1
         * @return this builder
         */
        public Builder optParallel(int parallel) {
            this.parallel = parallel;
            return this;
        }

        /**
         * Sets the coverage of the intervals (default 0.95).
         *
         * @param confidence in (0, 1)
         * @return this builder
         */
        public Builder optConfidence(double confidence) {
            this.confidence = confidence;
            return this;
        }

        /**
         * Sets the bootstrap over test examples (default 2000 resamples, seed 1).
         *
         * @param resamples &gt;= 100
         * @param seed the seed of the resampling
         * @return this builder
         */
        public Builder optBootstrap(int resamples, long seed) {
            this.resamples = resamples;
            this.bootstrapSeed = seed;
            return this;
        }

        /**
         * Adds a setting to describe in {@code compare.md} (e.g. the command and its flags).
         *
         * @param name the setting
         * @param value its value
         * @return this builder
         */
        public Builder addSetting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        /**
         * Sets the figure writer of {@code compare.png} (default: none).
         *
         * @param plot the writer
         * @return this builder
         */
        public Builder optPlot(ComparisonPlot plot) {
            this.plot = plot;
            return this;
        }

        /**
         * Sets a stop request (default: one of the runner's own): once it is requested no further
         * run starts, the runs in progress go on to their end (a task that can stop early polls it
         * and throws {@link RunStoppedException}), and the runner throws {@link
         * ComparisonStoppedException}. A command line sets it from its signal handler.
         *
         * @param stop the request
         * @return this builder
         */
        public Builder optStopRequest(StopRequest stop) {
            this.stop = stop;
            return this;
        }

        /**
         * Sets where progress lines go (default System.out).
         *
         * @param log the stream
         * @return this builder
         */
        public Builder optLog(PrintStream log) {
            this.log = log;
            return this;
        }

        /**
         * Builds the runner, checking the settings.
         *
         * @return the runner
         * @throws IllegalArgumentException naming the setting at fault
         */
        public ComparisonRunner build() {
            String arm = "[A-Za-z0-9][A-Za-z0-9._-]*";
            if (baseline == null || variant == null) {
                throw new IllegalArgumentException("setArms(baseline, variant) is required");
            }
            if (!baseline.matches(arm) || !variant.matches(arm) || baseline.equals(variant)) {
                throw new IllegalArgumentException(
                        "the arms must be two different names of letters, digits, '.', '_' or"
                                + " '-', got "
                                + baseline
                                + " and "
                                + variant);
            }
            Set<Long> distinct = new HashSet<>(seeds);
            if (distinct.size() != seeds.size()) {
                throw new IllegalArgumentException("the seeds repeat: " + seeds);
            }
            if (seeds.size() < 2) {
                throw new IllegalArgumentException(
                        "a paired comparison needs at least 2 seeds, got " + seeds);
            }
            if (metrics.isEmpty()) {
                throw new IllegalArgumentException("addMetric: at least one metric is required");
            }
            if (metrics.stream().map(Metric::name).distinct().count() != metrics.size()) {
                throw new IllegalArgumentException("the metrics repeat a name");
            }
            if (output == null) {
                throw new IllegalArgumentException("setOutput(dir) is required");
            }
            if (parallel < 1) {
                throw new IllegalArgumentException("parallel must be >= 1, got " + parallel);
            }
            if (!(confidence > 0 && confidence < 1)) {
                throw new IllegalArgumentException(
                        "confidence must be in (0, 1), got " + confidence);
            }
            if (resamples < 100) {
                throw new IllegalArgumentException(
                        "bootstrap resamples must be >= 100, got " + resamples);
            }
            return new ComparisonRunner(this);
        }
    }
}
