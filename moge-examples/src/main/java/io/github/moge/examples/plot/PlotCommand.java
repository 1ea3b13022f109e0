package io.github.moge.examples.plot;

import io.github.moge.examples.training.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code moge plot}: overlays the learning curves of several runs in one PNG. */
@Command(
        name = "plot",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Overlays the learning curves of training runs (loss terms, epoch-end evaluation,"
                + " learning rate, sigma) in one PNG, e.g. the MoE and the MoGE run of one seed.",
            "Each RUN is a run directory (config.json, metrics.csv), or a directory above them: an"
                    + " invariance output (train-moe/, train-moge/) or a comparison (seed-S/ARM/),"
                    + " whose runs are all taken."
        },
        footer = {
            "",
            "Examples:",
            "  moge plot runs/invariance --output inv.png",
            "  moge plot runs/cmp/seed-1/smoe-small runs/cmp/seed-1/smoge-small"
        })
public final class PlotCommand implements Callable<Integer> {

    /** How deep below a RUN the command looks for run directories. */
    static final int SEARCH_DEPTH = 3;

    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run directories to overlay.")
    List<Path> runs = new ArrayList<>();

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description = "The PNG to write (default: ${DEFAULT-VALUE}).")
    Path output = Path.of(CurvesFigure.FILE_NAME);

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        List<Path> found = runDirectories(runs);
        List<RunCurves> curves = new ArrayList<>();
        Set<String> labels = new LinkedHashSet<>();
        // the directory's own name where it tells the runs apart, else the last two path elements
        boolean distinct = found.stream().map(r -> label(r, 1)).distinct().count() == found.size();
        for (Path run : found) {
            String label = label(run, distinct ? 1 : 2);
            for (int i = 2; !labels.add(label); i++) {
                label = label(run, 2) + " (" + i + ")";
            }
            curves.add(RunCurves.read(run, label));
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UsageException(
                    "--output " + output + ": the directory " + parent + " does not exist");
        }
        CurvesFigure.write(curves, output);
        spec.commandLine()
                .getOut()
                .printf(
                        "%d run(s): %s%nWrote %s%n",
                        curves.size(), labels, output.toAbsolutePath());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /**
     * Expands the given paths into run directories: a directory with {@code config.json} and {@code
     * metrics.csv} is one; any other directory contributes every run directory below it, in name
     * order.
     *
     * @param given the paths on the command line
     * @return the run directories
     * @throws UsageException if a path is missing or holds no run
     */
    static List<Path> runDirectories(List<Path> given) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : given) {
            if (!Files.isDirectory(p)) {
                throw new UsageException(p + " is not a directory: give a run's output directory");
            }
            if (isRun(p)) {
                out.add(p);
                continue;
            }
            try (Stream<Path> below = Files.walk(p, SEARCH_DEPTH)) {
                List<Path> runsBelow = below.filter(PlotCommand::isRun).sorted().toList();
                if (runsBelow.isEmpty()) {
                    throw new UsageException(
                            p
                                    + " holds no training run (no config.json with "
                                    + RunCurves.METRICS_FILE
                                    + " in it or below it): give a run's output directory");
                }
                out.addAll(runsBelow);
            }
        }
        return out;
    }

    /**
     * A training run's directory: its {@code config.json} and per-step {@code metrics.csv} (an
     * invariance output's own {@code metrics.csv} is per epoch and has no {@code config.json}).
     */
    private static boolean isRun(Path dir) {
        return Files.isRegularFile(dir.resolve(RunCurves.METRICS_FILE))
                && Files.isRegularFile(dir.resolve("config.json"));
    }

    /** The last {@code elements} path elements, e.g. {@code train-moge} or {@code seed-1/smoe}. */
    private static String label(Path run, int elements) {
        Path abs = run.toAbsolutePath().normalize();
        int n = abs.getNameCount();
        return n >= elements ? abs.subpath(n - elements, n).toString() : abs.toString();
    }
}
