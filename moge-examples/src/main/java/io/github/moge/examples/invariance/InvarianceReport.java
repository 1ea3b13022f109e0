package io.github.moge.examples.invariance;

import io.github.moge.core.TopographicMap;
import io.github.moge.core.compare.Interval;
import io.github.moge.core.compare.PairedBootstrap;
import io.github.moge.vision.transform.InvarianceTransforms;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes the result files of an invariance run: {@code invariance.csv}, {@code invariance.md} and
 * {@code metrics.csv}. Numbers use {@link Locale#ROOT} (a dot as the decimal separator).
 */
public final class InvarianceReport {

    /** Header of {@code invariance.csv}. */
    public static final String INVARIANCE_HEADER = "transform,parameter,moe_imed,moge_imed";

    /** Header of {@code metrics.csv}. */
    public static final String METRICS_HEADER =
            "epoch,model,train_loss,train_cross_entropy,train_group_sparse,train_accuracy,"
                    + "test_accuracy,"
                    + "seconds,images_per_second,max_tokens_per_expert";

    /**
     * The file in each model's run directory ({@code train-moe/}, {@code train-moge/}) with the
     * IMED d of every test image under every transform: one column per transform ({@link
     * #imedColumn}), one row per test image in test-set order.
     */
    public static final String PER_IMAGE_FILE = "imed-per-image.csv";

    /** Resamples of the bootstrap over test images in {@code invariance.md}. */
    public static final int BOOTSTRAP_RESAMPLES = 2000;

    private static final long BOOTSTRAP_SEED = 7;
    private static final double CONFIDENCE = 0.95;
    private static final String NOT_RESOLVED = "no resolvable difference";

    /** File names the run writes, relative to the output directory. */
    public static final List<String> FILES =
            List.of("invariance.csv", "invariance.md", "metrics.csv", RoutingMapFigure.FILE_NAME);

    /** Comma-separated, fields quoted only where needed, one {@code \n} per record. */
    private static final CSVFormat CSV =
            CSVFormat.DEFAULT.builder().setRecordSeparator('\n').build();

    private InvarianceReport() {}

    /**
     * Writes {@code invariance.csv}: one row per transform, mean IMED d of MoE and MoGE.
     *
     * @param out the writer
     * @param moe the MoE result
     * @param moge the MoGE result
     * @throws IOException if writing fails
     */
    public static void writeInvarianceCsv(Writer out, ModelResult moe, ModelResult moge)
            throws IOException {
        List<InvarianceTransforms.Entry> transforms = InvarianceTransforms.all();
        CSVPrinter csv = new CSVPrinter(out, CSV);
        csv.printRecord((Object[]) INVARIANCE_HEADER.split(","));
        for (int i = 0; i < transforms.size(); i++) {
            InvarianceTransforms.Entry e = transforms.get(i);
            csv.printRecord(
                    e.getFamily(),
                    e.getParameter(),
                    format("%.6g", moe.meanImed()[i]),
                    format("%.6g", moge.meanImed()[i]));
        }
        csv.flush();
    }

    /**
     * Returns the column of a transform in {@link #PER_IMAGE_FILE}, e.g. {@code imed_rotation_15}.
     *
     * @param e the transform
     * @return the column name
     */
    public static String imedColumn(InvarianceTransforms.Entry e) {
        return imedColumn(e.getFamily(), e.getParameter());
    }

    /**
     * Returns the column of a transform given by its family and parameter (as in {@code
     * invariance.csv}).
     *
     * @param family the family, e.g. {@code rotation}
     * @param parameter the parameter, e.g. {@code 15}
     * @return the column name
     */
    public static String imedColumn(String family, String parameter) {
        return ("imed_" + family + "_" + parameter)
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9.]+", "_")
                .replaceAll("_+$", "");
    }

    /**
     * Writes {@link #PER_IMAGE_FILE}.
     *
     * @param file the file
     * @param transforms the transforms, in the meter's order
     * @param meter the accumulated distances
     * @throws IOException if writing fails
     */
    static void writePerImageImed(
            Path file, List<InvarianceTransforms.Entry> transforms, RoutingInvariance meter)
            throws IOException {
        double[][] columns = new double[transforms.size()][];
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < columns.length; t++) {
            columns[t] = meter.perImage(t);
            sb.append(t == 0 ? "" : ",").append(imedColumn(transforms.get(t)));
        }
        sb.append('\n');
        for (int i = 0; i < meter.count(); i++) {
            for (int t = 0; t < columns.length; t++) {
                sb.append(t == 0 ? "" : ",").append(format("%.6g", columns[t][i]));
            }
            sb.append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /**
     * Writes {@code metrics.csv}: one row per epoch and model.
     *
     * @param out the writer
     * @param results the results, each with its epochs
     * @throws IOException if writing fails
     */
    public static void writeMetricsCsv(Writer out, List<ModelResult> results) throws IOException {
        CSVPrinter csv = new CSVPrinter(out, CSV);
        csv.printRecord((Object[]) METRICS_HEADER.split(","));
        for (ModelResult r : results) {
            for (EpochMetrics m : r.epochs()) {
                csv.printRecord(
                        m.epoch(),
                        m.model(),
                        format("%.6f", m.trainLoss()),
                        format("%.6f", m.trainCrossEntropy()),
                        format("%.6f", m.trainGroupSparse()),
                        format("%.6f", m.trainAccuracy()),
                        format("%.6f", m.testAccuracy()),
                        format("%.3f", m.seconds()),
                        format("%.1f", m.imagesPerSecond()),
                        m.maxTokensPerExpert());
            }
        }
        csv.flush();
    }

    /**
     * Returns, per transform, the paired bootstrap interval over test images of MoGE's mean IMED
     * minus MoE's (both models score the same transformed images). It measures the uncertainty from
     * the finite test set given these two trained models, not that from training (one seed): {@code
     * moge compare} adds the t interval over seeds.
     *
     * @param moe the MoE result
     * @param moge the MoGE result
     * @return one interval per transform, in {@link InvarianceTransforms#all()} order
     */
    public static List<Interval> differences(ModelResult moe, ModelResult moge) {
        PairedBootstrap bootstrap = new PairedBootstrap(BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
        List<Interval> out = new ArrayList<>();
        for (int t = 0; t < moe.perImageImed().length; t++) {
            out.add(
                    bootstrap.interval(
                            List.of(moe.perImageImed()[t]),
                            List.<double[]>of(moge.perImageImed()[t]),
                            CONFIDENCE));
        }
        return out;
    }

    /**
     * Returns the verdict on one transform's difference: which model is more invariant when the
     * interval excludes 0, {@code no resolvable difference} otherwise.
     *
     * @param difference MoGE - MoE with its interval
     * @return the verdict
     */
    public static String verdict(Interval difference) {
        if (!difference.excludesZero()) {
            return NOT_RESOLVED;
        }
        return difference.estimate() < 0 ? "MoGE lower" : "MoE lower";
    }

    /**
     * Returns the one-line summary of the verdicts, e.g. {@code MoGE lower in 2 of 12 transforms,
     * MoE lower in 1, no resolvable difference in 9}.
     *
     * @param differences the intervals of {@link #differences}
     * @return the summary
     */
    public static String summary(List<Interval> differences) {
        int mogeLower = 0;
        int moeLower = 0;
        for (Interval d : differences) {
            String v = verdict(d);
            mogeLower += v.equals("MoGE lower") ? 1 : 0;
            moeLower += v.equals("MoE lower") ? 1 : 0;
        }
        return String.format(
                Locale.ROOT,
                "MoGE lower in %d of %d transforms, MoE lower in %d, %s in %d (95%% bootstrap over"
                        + " test images)",
                mogeLower,
                differences.size(),
                moeLower,
                NOT_RESOLVED,
                differences.size() - mogeLower - moeLower);
    }

    /**
     * Writes {@code invariance.md}: a Table-1-style comparison, accuracies, expert usage and
     * timings.
     *
     * @param out the writer
     * @param moe the MoE result
     * @param moge the MoGE result
     * @param settings a one-line description of the settings
     * @param command the command line that produced the run, or null
     * @throws IOException if writing fails
     */
    public static void writeMarkdown(
            Writer out, ModelResult moe, ModelResult moge, String settings, String command)
            throws IOException {
        writeMarkdown(out, moe, moge, differences(moe, moge), settings, command);
    }

    private static void writeMarkdown(
            Writer out,
            ModelResult moe,
            ModelResult moge,
            List<Interval> differences,
            String settings,
            String command)
            throws IOException {
        List<InvarianceTransforms.Entry> transforms = InvarianceTransforms.all();
        StringBuilder sb = new StringBuilder();
        sb.append("# Routing invariance on Fashion-MNIST: MoE vs MoGE\n\n");
        if (command != null) {
            sb.append("Command: `").append(command).append("`\n\n");
        }
        sb.append("Settings: ").append(settings).append("\n\n");
        TopographicMap map = TopographicMap.forExperts(moe.classMaps()[0].length);
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Mean IMED distance d (s = 1, on the %d x %d routing map z = softmax over"
                                + " all experts, router in evaluation mode) between each test image"
                                + " and its transformed copy; lower is more invariant.\n\n",
                        map.rows(),
                        map.cols()));
        sb.append(
                "| transform | parameter | MoE | MoGE | MoGE - MoE | 95% interval | relative |"
                        + " verdict |\n");
        sb.append("|---|---|---:|---:|---:|---|---:|---|\n");
        for (int i = 0; i < transforms.size(); i++) {
            InvarianceTransforms.Entry e = transforms.get(i);
            double a = moe.meanImed()[i];
            Interval d = differences.get(i);
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %.5f | %.5f | %+.6f | [%+.6f, %+.6f] | %+.2f%% | %s |%n",
                            e.getFamily(),
                            e.getParameter(),
                            a,
                            moge.meanImed()[i],
                            d.estimate(),
                            d.lower(),
                            d.upper(),
                            a == 0 ? 0 : 100 * d.estimate() / a,
                            verdict(d)));
        }
        sb.append("\n").append(summary(differences)).append(".\n\n");
        sb.append(
                "The intervals are a paired bootstrap over the test images ("
                        + BOOTSTRAP_RESAMPLES
                        + " resamples): they cover the finite test set given these two trained"
                        + " models, not the run-to-run variation of training, which needs several"
                        + " seeds (`moge compare --seeds 1,2,3 -- invariance ...`).\n\n");
        sb.append("| model | test accuracy | experts used (of ")
                .append(moe.classMaps()[0].length)
                .append(") | optimizer steps | training time (s) | evaluation time (s) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        for (ModelResult r : List.of(moe, moge)) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %.4f | %d | %d | %.1f | %.1f |%n",
                            r.model(),
                            r.testAccuracy(),
                            r.activeExperts(),
                            r.steps(),
                            r.trainSeconds(),
                            r.evalSeconds()));
        }
        sb.append(
                "\nExperts used: experts that receive at least one test image (top-1, no noise)."
                        + " Per-epoch losses, accuracies and throughput are in `metrics.csv`; the"
                        + " per-class mean routing maps are in `"
                        + RoutingMapFigure.FILE_NAME
                        + "`.\n");
        out.write(sb.toString());
    }

    /**
     * Writes all result files (CSV, Markdown, figure) into a directory.
     *
     * @param dir the output directory (must exist)
     * @param results MoE then MoGE
     * @param settings a one-line description of the settings
     * @param command the command line, or null
     * @return the per-transform differences of {@link #differences}, computed once for the report
     * @throws IOException if writing fails
     */
    public static List<Interval> writeAll(
            Path dir, List<ModelResult> results, String settings, String command)
            throws IOException {
        ModelResult moe = results.get(0);
        ModelResult moge = results.get(1);
        List<Interval> differences = differences(moe, moge);
        try (Writer w =
                Files.newBufferedWriter(dir.resolve("invariance.csv"), StandardCharsets.UTF_8)) {
            writeInvarianceCsv(w, moe, moge);
        }
        try (Writer w =
                Files.newBufferedWriter(dir.resolve("invariance.md"), StandardCharsets.UTF_8)) {
            writeMarkdown(w, moe, moge, differences, settings, command);
        }
        try (Writer w =
                Files.newBufferedWriter(dir.resolve("metrics.csv"), StandardCharsets.UTF_8)) {
            writeMetricsCsv(w, results);
        }
        Path figure = dir.resolve(RoutingMapFigure.FILE_NAME);
        Files.createDirectories(figure.getParent());
        try {
            RoutingMapFigure.write(figure, results);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return differences;
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }
}
