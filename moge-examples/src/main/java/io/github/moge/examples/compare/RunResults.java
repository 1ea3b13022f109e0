package io.github.moge.examples.compare;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.moge.core.compare.Metric;
import io.github.moge.core.compare.RunResult;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.examples.invariance.InvarianceExperiment;
import io.github.moge.examples.invariance.InvarianceReport;
import io.github.moge.lm.training.LmTraining;
import io.github.moge.vision.transform.InvarianceTransforms;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads what a finished run of a training command measured from the files it wrote, as the {@link
 * RunResult} a comparison pairs: {@code train-lm} (summary.json, epochs.csv), {@code train-vision}
 * (epochs.csv) and {@code invariance} (invariance.csv, metrics.csv and each model's per-image
 * IMED).
 */
final class RunResults {

    /** Test perplexity of the best-on-validation parameters ({@code train-lm}). */
    static final String TEST_PERPLEXITY = "test_perplexity";

    /** Mean per-token test cross-entropy in nats, ln(test perplexity) ({@code train-lm}). */
    static final String TEST_LOSS = "test_loss";

    /** Test top-1 accuracy after the last epoch ({@code train-vision}). */
    static final String TEST_ACC1 = "test_acc1";

    /** Test top-5 accuracy after the last epoch ({@code train-vision}). */
    static final String TEST_ACC5 = "test_acc5";

    /** Final test accuracy of each model ({@code invariance}). */
    static final String TEST_ACCURACY = "test_accuracy";

    private static final CSVFormat CSV =
            CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();

    private RunResults() {}

    /** {@return the metrics of a {@code train-lm} comparison} */
    static List<Metric> lmMetrics() {
        return List.of(Metric.lowerIsBetter(TEST_PERPLEXITY), Metric.lowerIsBetter(TEST_LOSS));
    }

    /** {@return the metrics of a {@code train-vision} comparison} */
    static List<Metric> visionMetrics() {
        return List.of(Metric.higherIsBetter(TEST_ACC1), Metric.higherIsBetter(TEST_ACC5));
    }

    /**
     * Returns the metrics of an {@code invariance} comparison: accuracy, then IMED per transform.
     */
    static List<Metric> invarianceMetrics() {
        List<Metric> out = new ArrayList<>();
        out.add(Metric.higherIsBetter(TEST_ACCURACY));
        for (InvarianceTransforms.Entry e : InvarianceTransforms.all()) {
            out.add(Metric.lowerIsBetter(InvarianceReport.imedColumn(e)));
        }
        return out;
    }

    /**
     * Reads a finished {@code train-lm} run.
     *
     * @param dir its run directory
     * @return test perplexity and loss, and the validation perplexity per epoch
     * @throws IOException if the run has no complete summary
     */
    static RunResult lm(Path dir) throws IOException {
        Path file = dir.resolve("summary.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException(dir + " holds no summary.json: the run did not finish");
        }
        JsonObject summary =
                JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                        .getAsJsonObject();
        JsonElement ppl = summary.get("test_ppl");
        if (!summary.get("completed").getAsBoolean() || ppl == null || ppl.isJsonNull()) {
            throw new IOException(
                    dir + " stopped before its last epoch (see summary.json): continue it");
        }
        double test = ppl.getAsDouble();
        List<EpochRecord> epochs = EpochRecord.readAll(dir);
        RunResult.Builder b =
                RunResult.builder()
                        .addMetric(TEST_PERPLEXITY, test)
                        .addMetric(TEST_LOSS, Math.log(test))
                        .setCurve("validation_perplexity", curve(epochs, "perplexity"));
        Path tokens = dir.resolve(LmTraining.TEST_TOKEN_NLL_FILE);
        if (Files.isRegularFile(tokens)) {
            // test_loss per token: the bootstrap over test tokens.
            b.addPerExample(TEST_LOSS, column(tokens, "nll"));
        }
        return b.build();
    }

    /**
     * Reads a finished {@code train-vision} run.
     *
     * @param dir its run directory
     * @return test Acc@1 and Acc@5 of the last epoch, and Acc@1 per epoch
     * @throws IOException if no epoch finished
     */
    static RunResult vision(Path dir) throws IOException {
        List<EpochRecord> epochs = EpochRecord.readAll(dir);
        if (epochs.isEmpty()) {
            throw new IOException(dir + " holds no finished epoch (epochs.csv)");
        }
        Map<String, Double> last = epochs.get(epochs.size() - 1).getValidation();
        return RunResult.builder()
                .addMetric(TEST_ACC1, last.getOrDefault("acc1", Double.NaN))
                .addMetric(TEST_ACC5, last.getOrDefault("acc5", Double.NaN))
                .setCurve(TEST_ACC1, curve(epochs, "acc1"))
                .build();
    }

    /**
     * Reads a finished {@code invariance} run: one result per model.
     *
     * @param dir the run's output directory
     * @param model {@link InvarianceExperiment#MOE} or {@link InvarianceExperiment#MOGE}
     * @return test accuracy and mean IMED per transform (per-image values for the bootstrap), and
     *     test accuracy per epoch
     * @throws IOException if a result file is missing or malformed
     */
    static RunResult invariance(Path dir, String model) throws IOException {
        boolean moge = model.equals(InvarianceExperiment.MOGE);
        RunResult.Builder b = RunResult.builder();
        List<Double> accuracy = new ArrayList<>();
        for (CSVRecord r : read(dir.resolve("metrics.csv"))) {
            if (r.get("model").equals(model)) {
                accuracy.add(Double.parseDouble(r.get("test_accuracy")));
            }
        }
        if (accuracy.isEmpty()) {
            throw new IOException(dir.resolve("metrics.csv") + " has no epoch of " + model);
        }
        b.addMetric(TEST_ACCURACY, accuracy.get(accuracy.size() - 1));
        for (CSVRecord r : read(dir.resolve("invariance.csv"))) {
            b.addMetric(
                    InvarianceReport.imedColumn(r.get("transform"), r.get("parameter")),
                    Double.parseDouble(r.get(moge ? "moge_imed" : "moe_imed")));
        }
        Path perImage =
                dir.resolve(moge ? "train-moge" : "train-moe")
                        .resolve(InvarianceReport.PER_IMAGE_FILE);
        if (Files.isRegularFile(perImage)) {
            List<CSVRecord> rows = read(perImage);
            for (String c : rows.isEmpty() ? List.<String>of() : rows.get(0).toMap().keySet()) {
                double[] values = new double[rows.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = Double.parseDouble(rows.get(i).get(c));
                }
                b.addPerExample(c, values);
            }
        }
        double[] curve = accuracy.stream().mapToDouble(Double::doubleValue).toArray();
        return b.setCurve(TEST_ACCURACY, curve).build();
    }

    private static List<CSVRecord> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is missing: the run did not finish");
        }
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                CSVParser csv = CSV.parse(in)) {
            return csv.getRecords();
        }
    }

    private static double[] column(Path file, String name) throws IOException {
        List<CSVRecord> rows = read(file);
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.parseDouble(rows.get(i).get(name));
        }
        return out;
    }

    private static double[] curve(List<EpochRecord> epochs, String name) {
        return epochs.stream()
                .mapToDouble(e -> e.getValidation().getOrDefault(name, Double.NaN))
                .toArray();
    }
}
