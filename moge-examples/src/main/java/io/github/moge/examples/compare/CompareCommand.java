package io.github.moge.examples.compare;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import io.github.moge.core.compare.ComparisonFailedException;
import io.github.moge.core.compare.ComparisonResult;
import io.github.moge.core.compare.ComparisonRunner;
import io.github.moge.core.compare.ComparisonStoppedException;
import io.github.moge.core.compare.Metric;
import io.github.moge.core.compare.RunResult;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.core.training.StopRequest;
import io.github.moge.examples.invariance.InvarianceExperiment;
import io.github.moge.examples.training.SignalStop;
import io.github.moge.examples.training.UsageException;
import io.github.moge.examples.training.WriterOutputStream;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.vision.preset.VisionPreset;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code moge compare}: a paired multi-seed comparison of two presets of {@code train-lm} or {@code
 * train-vision}, or of the MoE and MoGE models that each {@code invariance} run trains. Each (seed,
 * arm) is a run directory of the existing command, made with {@code --seed S --preset ARM} added to
 * the given flags; an interrupted comparison continues with {@code --resume DIR} (finished runs are
 * skipped, an interrupted one resumes from its checkpoint). The statistics and report files come
 * from {@link ComparisonRunner}.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Trains a baseline and a variant over several seeds (same seed = same initialisation"
                    + " and data order for both), pairs them by seed and reports whether the"
                    + " difference is resolved.",
            "After '--' give the training command and its flags: train-lm or train-vision (with"
                    + " --baseline and --variant presets of one family), or invariance (its two"
                    + " models, MoE and MoGE, are the arms). --seed, --preset and --output are set"
                    + " per run.",
            "Writes into --output: seed-S/ARM/ (each run directory), seed-S/ARM.json (its result;"
                    + " a finished run), compare.csv (one row per seed and arm), compare.md"
                    + " (settings, means, paired differences with 95%% t intervals over seeds and"
                    + " bootstrap intervals over test examples, a verdict per metric) and"
                    + " compare.png (paired differences and learning curves).",
            "Metrics: train-lm test_perplexity and test_loss (per-token cross-entropy, nats);"
                    + " train-vision test_acc1 and test_acc5; invariance test_accuracy and the IMED"
                    + " of each transform (with a bootstrap over test images).",
            ""
        },
        footer = {
            "",
            "Examples:",
            "  moge compare --seeds 1,2,3 --parallel 2 --output runs/cmp-lm --baseline smoe-small"
                    + " --variant smoge-small -- train-lm --brown DIR --epochs 20",
            "  moge compare --seeds 1,2,3,4,5 --output runs/cmp-vit --baseline vit-moe-xs-fmnist"
                    + " --variant vit-moge-xs-fmnist -- train-vision --epochs 10",
            "  moge compare --seeds 1,2,3 --output runs/cmp-inv -- invariance --epochs 30",
            "Continue an interrupted comparison: moge compare --resume runs/cmp-lm [--parallel 2]"
        })
public final class CompareCommand implements Callable<Integer> {

    /** The comparison's own settings in its output directory, read back by {@code --resume}. */
    static final String SETTINGS_FILE = "compare-settings.json";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** Flags the comparison sets per run, refused after {@code --}. */
    private static final List<String> PER_RUN_FLAGS =
            List.of("--seed", "--preset", "--output", "--resume", "--moge", "--no-moge", "--force");

    @Spec CommandSpec spec;

    @Option(
            names = "--seeds",
            split = ",",
            paramLabel = "S",
            description = "Seeds, comma-separated, at least 2, e.g. 1,2,3.")
    List<Long> seeds;

    @Option(
            names = "--baseline",
            paramLabel = "PRESET",
            description = "Baseline preset (train-lm, train-vision), e.g. smoe-small.")
    String baseline;

    @Option(
            names = "--variant",
            paramLabel = "PRESET",
            description = "Variant preset of the same family, e.g. smoge-small.")
    String variant;

    @Option(
            names = "--output",
            paramLabel = "DIR",
            description = "Directory of a new comparison (created; must not hold one).")
    Path output;

    @Option(
            names = "--resume",
            paramLabel = "DIR",
            description = "Continue the comparison in DIR with its saved settings.")
    Path resume;

    @Option(
            names = "--parallel",
            defaultValue = "1",
            paramLabel = "N",
            description =
                    "Runs at a time (default: ${DEFAULT-VALUE}, in this JVM); N > 1 runs each in"
                            + " a child JVM with one PyTorch thread (logs in seed-S/ARM.log).")
    int parallel;

    @Option(
            names = "--bootstrap",
            paramLabel = "N",
            description = "Bootstrap resamples over test examples (default: 2000).")
    Integer resamples;

    @Parameters(
            paramLabel = "COMMAND",
            description = "After '--': train-lm, train-vision or invariance and its flags.")
    List<String> command = new ArrayList<>();

    private final BiFunction<PrintWriter, PrintWriter, CommandLine> commandLines;
    private final String mainClass;

    /**
     * Creates the command.
     *
     * @param commandLines builds a fresh {@code moge} command line, to run the training commands
     *     and to check their flags
     * @param mainClass the {@code moge} main class, for child JVMs
     */
    public CompareCommand(
            BiFunction<PrintWriter, PrintWriter, CommandLine> commandLines, String mainClass) {
        this.commandLines = commandLines;
        this.mainClass = mainClass;
    }

    /**
     * What a comparison is, as saved in {@link #SETTINGS_FILE}.
     *
     * @param seeds the seeds
     * @param baseline the baseline arm
     * @param variant the variant arm
     * @param command the training command and its flags
     * @param resamples bootstrap resamples
     */
    record Settings(
            List<Long> seeds,
            String baseline,
            String variant,
            List<String> command,
            int resamples) {

        String subcommand() {
            return command.get(0);
        }

        List<String> flags() {
            return command.subList(1, command.size());
        }
    }

    /**
     * Checks every flag before any compute and returns the comparison's settings: from the flags,
     * or with {@code --resume} from the saved {@link #SETTINGS_FILE}.
     *
     * @return the settings
     * @throws UsageException naming each problem and its flag
     */
    Settings prepare() {
        List<String> problems = new ArrayList<>();
        if (parallel < 1 || parallel > 16) {
            problems.add("--parallel " + parallel + " must be between 1 and 16");
        }
        if (resamples != null && resamples < 100) {
            problems.add("--bootstrap " + resamples + " must be >= 100 resamples");
        }
        Settings s = resume != null ? resumed(problems) : fromFlags(problems);
        if (!problems.isEmpty()) {
            throw new UsageException(String.join("; ", problems));
        }
        return s;
    }

    private Settings resumed(List<String> problems) {
        List<String> given = new ArrayList<>();
        if (output != null) {
            given.add("--output");
        }
        if (seeds != null) {
            given.add("--seeds");
        }
        if (baseline != null) {
            given.add("--baseline");
        }
        if (variant != null) {
            given.add("--variant");
        }
        if (resamples != null) {
            given.add("--bootstrap");
        }
        if (!command.isEmpty()) {
            given.add("the training command after '--'");
        }
        if (!given.isEmpty()) {
            problems.add(
                    String.join(", ", given)
                            + " given with --resume: a resumed comparison keeps the settings saved"
                            + " in "
                            + resume.resolve(SETTINGS_FILE)
                            + "; drop them");
        }
        Path file = resume.resolve(SETTINGS_FILE);
        if (!Files.isRegularFile(file)) {
            problems.add(
                    "--resume "
                            + resume
                            + " holds no comparison (no "
                            + SETTINGS_FILE
                            + "): give the --output of an earlier 'moge compare'");
            return null;
        }
        try {
            Settings s =
                    GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), Settings.class);
            if (s == null || s.seeds() == null || s.command() == null || s.command().isEmpty()) {
                throw new JsonParseException("fields missing");
            }
            return s;
        } catch (IOException | JsonParseException e) {
            problems.add("--resume " + resume + ": " + file + " is unreadable (" + e + ")");
            return null;
        }
    }

    private Settings fromFlags(List<String> problems) {
        if (output == null) {
            problems.add("--output DIR is required for a new comparison (or --resume DIR)");
        } else if (Files.exists(output.resolve(SETTINGS_FILE))) {
            problems.add(
                    "--output "
                            + output
                            + " already holds a comparison: continue it with --resume "
                            + output
                            + ", or choose a new --output");
        } else if (Files.exists(output) && !Files.isDirectory(output)) {
            problems.add("--output " + output + " exists and is not a directory");
        }
        if (seeds == null || seeds.size() < 2) {
            problems.add(
                    "--seeds needs at least 2 seeds for a paired interval, e.g. --seeds 1,2,3"
                            + (seeds == null ? "" : " (got " + seeds.size() + ")"));
        } else {
            Set<Long> seen = new HashSet<>();
            for (long seed : seeds) {
                if (!seen.add(seed)) {
                    problems.add("--seeds repeats seed " + seed + ": give each seed once");
                    break;
                }
            }
            for (long seed : seeds) {
                if (seed < 0 || seed > Integer.MAX_VALUE) {
                    problems.add("--seeds " + seed + " must be between 0 and " + Integer.MAX_VALUE);
                    break;
                }
            }
        }
        if (command.isEmpty()) {
            problems.add(
                    "the training command is missing: add '-- train-lm ...', '-- train-vision ...'"
                            + " or '-- invariance ...'");
            return null;
        }
        String sub = command.get(0);
        List<String> flags = command.subList(1, command.size());
        for (String f : flags) {
            String name = f.contains("=") ? f.substring(0, f.indexOf('=')) : f;
            if (PER_RUN_FLAGS.contains(name)) {
                problems.add(
                        name
                                + " after '--' is set by compare for each run: drop it (the arms"
                                + " are --baseline/--variant, the seeds --seeds)");
            }
        }
        switch (sub) {
            case "train-lm" ->
                    checkPresets(
                            problems,
                            Arrays.stream(LmPreset.values()).map(LmPreset::cliName).toList(),
                            name -> name.substring(name.lastIndexOf('-') + 1));
            case "train-vision" ->
                    checkPresets(
                            problems,
                            VisionPreset.names(),
                            name -> name.replace("-moge-", "-").replace("-moe-", "-"));
            case "invariance" -> {
                if (baseline != null || variant != null) {
                    problems.add(
                            "--baseline/--variant do not apply to invariance: each of its runs"
                                    + " trains both arms (MoE and MoGE); drop them");
                }
            }
            default ->
                    problems.add(
                            "unknown training command '"
                                    + sub
                                    + "' after '--': use train-lm, train-vision or invariance");
        }
        if (problems.isEmpty()) {
            checkParses(problems, sub, flags);
        }
        boolean invariance = sub.equals("invariance");
        return new Settings(
                seeds == null ? List.of() : List.copyOf(seeds),
                invariance ? "moe" : baseline,
                invariance ? "moge" : variant,
                List.copyOf(command),
                resamples != null ? resamples : 2000);
    }

    private void checkPresets(
            List<String> problems, List<String> known, Function<String, String> family) {
        for (String[] flag : new String[][] {{"--baseline", baseline}, {"--variant", variant}}) {
            if (flag[1] == null) {
                problems.add(flag[0] + " PRESET is required for " + command.get(0));
            } else if (!known.contains(flag[1])) {
                problems.add(
                        flag[0]
                                + " "
                                + flag[1]
                                + " is not a "
                                + command.get(0)
                                + " preset; known: "
                                + String.join(", ", known));
            }
        }
        if (baseline == null
                || variant == null
                || !known.contains(baseline)
                || !known.contains(variant)) {
            return;
        }
        if (baseline.equals(variant)) {
            problems.add(
                    "--baseline and --variant are both "
                            + baseline
                            + ": compare two different presets");
        } else if (!family.apply(baseline).equals(family.apply(variant))) {
            problems.add(
                    "--baseline "
                            + baseline
                            + " and --variant "
                            + variant
                            + " are from different families ("
                            + family.apply(baseline)
                            + " vs "
                            + family.apply(variant)
                            + "): compare two presets of one setting, e.g. its MoE and MoGE"
                            + " presets");
        }
    }

    /** Parses the training command as the first run would get it, so a bad flag fails now. */
    private void checkParses(List<String> problems, String sub, List<String> flags) {
        List<String> args = runArgs(sub, flags, seeds.get(0), baseline, Path.of("compare-check"));
        PrintWriter sink = new PrintWriter(PrintWriter.nullWriter());
        try {
            commandLines.apply(sink, sink).parseArgs(args.toArray(new String[0]));
        } catch (CommandLine.ParameterException e) {
            problems.add("'" + sub + "' after '--': " + e.getMessage());
        }
    }

    /** The arguments of a new run. */
    private static List<String> runArgs(
            String sub, List<String> flags, long seed, String preset, Path dir) {
        List<String> args = new ArrayList<>();
        args.add(sub);
        args.addAll(flags);
        args.add("--seed");
        args.add(Long.toString(seed));
        if (preset != null) {
            args.add("--preset");
            args.add(preset);
        }
        args.add("--output");
        args.add(dir.toString());
        return args;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Settings s = prepare();
        Path dir = resume != null ? resume : output;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (resume == null) {
            Files.createDirectories(dir);
            Files.writeString(
                    dir.resolve(SETTINGS_FILE), GSON.toJson(s) + "\n", StandardCharsets.UTF_8);
        }
        boolean invariance = s.subcommand().equals("invariance");
        List<Metric> metrics =
                switch (s.subcommand()) {
                    case "train-lm" -> RunResults.lmMetrics();
                    case "train-vision" -> RunResults.visionMetrics();
                    default -> RunResults.invarianceMetrics();
                };
        ComparisonRunner.Builder b =
                ComparisonRunner.builder()
                        .setArms(s.baseline(), s.variant())
                        .setSeeds(s.seeds())
                        .setOutput(dir)
                        .optParallel(parallel)
                        .optBootstrap(s.resamples(), 1)
                        .addSetting("command", "moge " + String.join(" ", s.command()))
                        .addSetting("per run", "--seed S" + (invariance ? "" : " --preset ARM"))
                        .addSetting(
                                "execution",
                                parallel > 1
                                        ? parallel
                                                + " runs at a time, child JVMs with one"
                                                + " PyTorch thread each"
                                        : "one run at a time, in-process")
                        .optPlot(ComparisonFigure::write)
                        .optLog(
                                new PrintStream(
                                        new WriterOutputStream(out), true, StandardCharsets.UTF_8));
        metrics.forEach(b::addMetric);
        StopRequest stop = new StopRequest();
        ComparisonRunner runner = b.optStopRequest(stop).build();
        CommandExecutor executor =
                new CommandExecutor(commandLines, mainClass, parallel > 1, out, err, stop);
        ComparisonResult result;
        try (SignalStop signals = SignalStop.install("compare", stop, err)) {
            if (invariance) {
                result = runner.runPaired((seed, runDir) -> invariance(executor, s, seed, runDir));
            } else {
                result =
                        runner.run(
                                (seed, arm, runDir) -> {
                                    executor.execute(
                                            armArgs(s, seed, arm, runDir),
                                            runDir.resolveSibling(arm + ".log"));
                                    return s.subcommand().equals("train-lm")
                                            ? RunResults.lm(runDir)
                                            : RunResults.vision(runDir);
                                });
            }
        } catch (ComparisonStoppedException e) {
            out.flush();
            err.println("compare: " + e.getMessage());
            err.println("compare: continue with: moge compare --resume " + dir);
            err.flush();
            return e.getReason().equals("SIGINT") ? 130 : 143;
        } catch (ComparisonFailedException e) {
            out.flush();
            err.println("compare: " + e.getMessage());
            err.println(
                    "compare: finished runs are kept; continue with: moge compare --resume " + dir);
            err.flush();
            return 1;
        }
        out.printf(
                "compare: %d seeds of %s vs %s done; see %s and %s%n",
                result.getSeeds().size(),
                result.getVariant(),
                result.getBaseline(),
                dir.resolve(ComparisonRunner.MARKDOWN_FILE),
                dir.resolve(ComparisonRunner.CSV_FILE));
        out.flush();
        return 0;
    }

    /** A new run of one arm, or the continuation of its interrupted run. */
    private static List<String> armArgs(Settings s, long seed, String arm, Path runDir) {
        if (Files.isRegularFile(runDir.resolve(RunConfiguration.FILE_NAME))) {
            return List.of(s.subcommand(), "--resume", runDir.toString());
        }
        return runArgs(s.subcommand(), s.flags(), seed, arm, runDir);
    }

    private static Map<String, RunResult> invariance(
            CommandExecutor executor, Settings s, long seed, Path runDir) throws Exception {
        boolean started =
                Files.isRegularFile(
                        runDir.resolve("train-moe").resolve(RunConfiguration.FILE_NAME));
        List<String> args =
                started
                        ? List.of("invariance", "--resume", runDir.toString())
                        : runArgs("invariance", s.flags(), seed, null, runDir);
        executor.execute(args, runDir.resolveSibling("run.log"));
        Map<String, RunResult> out = new LinkedHashMap<>();
        out.put(s.baseline(), RunResults.invariance(runDir, InvarianceExperiment.MOE));
        out.put(s.variant(), RunResults.invariance(runDir, InvarianceExperiment.MOGE));
        return out;
    }
}
