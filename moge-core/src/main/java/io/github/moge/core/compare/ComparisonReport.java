package io.github.moge.core.compare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a comparison's {@code compare.csv} (one row per seed and arm, one column per metric) and
 * {@code compare.md} (settings, means, paired differences with intervals, a verdict per metric, the
 * per-seed values). Numbers use {@link Locale#ROOT}.
 */
public final class ComparisonReport {

    private ComparisonReport() {}

    /**
     * Writes {@code compare.csv}: columns {@code seed,arm,<metric>...}, the baseline's row of each
     * seed before the variant's.
     *
     * @param result the comparison
     * @param metrics the metrics, in column order
     * @param file the file
     * @throws IOException if writing fails
     */
    public static void writeCsv(ComparisonResult result, List<Metric> metrics, Path file)
            throws IOException {
        StringBuilder sb = new StringBuilder("seed,arm");
        for (Metric m : metrics) {
            sb.append(',').append(m.name());
        }
        sb.append('\n');
        for (long seed : result.getSeeds()) {
            for (String arm : result.getArms()) {
                sb.append(seed).append(',').append(arm);
                RunResult r = result.getRun(seed, arm);
                for (Metric m : metrics) {
                    sb.append(',').append(r.getMetric(m.name()));
                }
                sb.append('\n');
            }
        }
        write(file, sb.toString());
    }

    /**
     * Writes {@code compare.md}.
     *
     * @param result the comparison
     * @param file the file
     * @throws IOException if writing fails
     */
    public static void writeMarkdown(ComparisonResult result, Path file) throws IOException {
        String b = result.getBaseline();
        String v = result.getVariant();
        StringBuilder sb = new StringBuilder();
        sb.append("# Comparison: ").append(v).append(" vs ").append(b).append("\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Baseline %s, variant %s, paired over %d seeds (%s): a seed gives both"
                                + " arms the same initialisation and data order. Differences are"
                                + " %s - %s; the t interval is over the per-seed differences"
                                + " (training noise), the bootstrap interval over test examples"
                                + " (test-set noise, for metrics measured per example).%n%n",
                        b,
                        v,
                        result.getSeeds().size(),
                        join(result.getSeeds()),
                        v,
                        b));
        sb.append("## Settings\n\n| setting | value |\n|---|---|\n");
        for (Map.Entry<String, String> e : result.getSettings().entrySet()) {
            sb.append("| ")
                    .append(e.getKey())
                    .append(" | ")
                    .append(cell(e.getValue()))
                    .append(" |\n");
        }
        sb.append("\n## Results\n\n");
        sb.append("| metric | better | ")
                .append(b)
                .append(" mean | ")
                .append(v)
                .append(" mean | difference | t interval | bootstrap interval | resolved |\n");
        sb.append("|---|---|---:|---:|---:|---|---|---|\n");
        for (MetricComparison m : result.getMetrics()) {
            PairedDifference p = m.seeds();
            String favoured = m.favoured(b, v);
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %.6g | %.6g | %s | %s | %s | %s |%n",
                            m.metric().name(),
                            m.metric().higherIsBetter() ? "higher" : "lower",
                            p.baselineMean(),
                            p.variantMean(),
                            MetricComparison.number(p.interval().estimate()),
                            MetricComparison.range(p.interval()),
                            m.bootstrap() == null ? "-" : MetricComparison.range(m.bootstrap()),
                            favoured == null ? "no" : "yes, " + favoured));
        }
        sb.append("\n## Verdict\n\n");
        for (String line : result.verdicts()) {
            sb.append("- ").append(line).append('\n');
        }
        sb.append("\n## Per seed\n\n| seed | arm |");
        for (MetricComparison m : result.getMetrics()) {
            sb.append(' ').append(m.metric().name()).append(" |");
        }
        sb.append("\n|---|---|");
        sb.append("---:|".repeat(result.getMetrics().size()));
        sb.append('\n');
        for (long seed : result.getSeeds()) {
            for (String arm : result.getArms()) {
                sb.append("| ").append(seed).append(" | ").append(arm).append(" |");
                for (MetricComparison m : result.getMetrics()) {
                    sb.append(
                            String.format(
                                    Locale.ROOT,
                                    " %.6g |",
                                    result.getRun(seed, arm).getMetric(m.metric().name())));
                }
                sb.append('\n');
            }
        }
        write(file, sb.toString());
    }

    private static String join(List<Long> seeds) {
        StringBuilder sb = new StringBuilder();
        for (long s : seeds) {
            sb.append(sb.length() == 0 ? "" : ", ").append(s);
        }
        return sb.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
