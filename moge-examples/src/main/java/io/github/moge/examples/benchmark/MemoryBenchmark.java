package io.github.moge.examples.benchmark;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.MoeSequentialBlock;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.core.training.TrainingSummary;
import io.github.moge.core.training.data.ShuffledBatches;
import io.github.moge.core.training.optim.StatefulAdamW;
import io.github.moge.examples.training.ConfigurationValidator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs several hundred training steps of a small MoGE classifier through {@link TrainingRun} (data
 * pipeline, MoE layer with balance loss and regularizer, metrics, evaluators, validation and
 * checkpoints) and prints the process's resident memory (VmRSS from /proc/self/status) every N
 * steps, to show that native memory is flat after warm-up.
 *
 * <p>Run it with a fixed, pre-touched Java heap ({@code -Xms256m -Xmx256m -XX:+AlwaysPreTouch}) so
 * that VmRSS does not also count the heap growing towards its maximum. The heap column is measured
 * after {@code System.gc()}; the NDArray column counts the arrays alive on the model's manager and
 * its children, which must stay constant (parameters, optimizer moments).
 */
@Command(
        name = "benchmark-memory",
        mixinStandardHelpOptions = true,
        description = {
            "Checks that native memory stays flat: trains a small MoGE model for --steps steps.",
            "The steps go through the shared training loop; resident memory (VmRSS) is printed"
                    + " every --every steps and must stay flat after warm-up."
        })
public final class MemoryBenchmark implements Callable<Integer> {

    @Option(
            names = "--steps",
            defaultValue = "600",
            description = "Training steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--every",
            defaultValue = "50",
            description = "Report every N steps (default: ${DEFAULT-VALUE}).")
    int every;

    @Option(
            names = "--warmup",
            defaultValue = "100",
            description = "Steps counted as warm-up (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--experts",
            defaultValue = "16",
            description = "Experts E (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(
            names = "--width",
            defaultValue = "64",
            description = "Input and model width (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(
            names = "--hidden",
            defaultValue = "128",
            description = "Expert hidden width (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(
            names = "--batch-size",
            defaultValue = "128",
            description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--samples",
            defaultValue = "4096",
            description = "Training samples (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "100",
            description = "Checkpoint every N steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(
            names = "--output",
            description = "Run directory (default: a new directory under java.io.tmpdir).")
    Path output;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    private static final int CLASSES = 10;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        ConfigurationValidator validator =
                new ConfigurationValidator()
                        .check(
                                steps >= 1 && every >= 1 && warmup >= 0 && warmup < steps,
                                "--steps and --every must be >= 1 and 0 <= --warmup < --steps")
                        .requireTopK("--top-k", 1, "--experts", experts)
                        .requireMapFits("--experts", TopographicMap.forExperts(experts), 3)
                        .requireBatchCoversDevices("--batch-size", batchSize, 1)
                        .check(samples >= batchSize, "--samples must be >= --batch-size");
        if (output != null) {
            validator.requireWritableOutput("--output", output);
        }
        validator.validate();
        Path runDir = output != null ? output : Files.createTempDirectory("moge-benchmark-memory-");
        if (output == null) {
            Files.delete(runDir);
        }
        PrintStream out = System.out;
        out.printf(
                Locale.ROOT,
                "benchmark-memory: E=%d d=%d h=%d batch=%d samples=%d, %d steps, checkpoint every"
                        + " %d, on %s (%s %s), run dir %s%n",
                experts,
                width,
                hidden,
                batchSize,
                samples,
                steps,
                checkpointEvery,
                Engine.getInstance().defaultDevice(),
                Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(),
                runDir);
        List<long[]> rows = new ArrayList<>();
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("benchmark-memory")) {
            ArrayDataset train = dataset(data);
            ShuffledBatches batches =
                    ShuffledBatches.builder().setDataset(train).setBatchSize(batchSize).build();
            int epochs = (steps + batches.batchesPerEpoch() - 1) / batches.batchesPerEpoch();
            SigmaSchedule schedule = SigmaSchedule.VISION.over(steps);
            model.setBlock(
                    new MoeSequentialBlock()
                            .add(Linear.builder().setUnits(width).build())
                            .add(
                                    MoeBlock.builder()
                                            .setExperts(experts)
                                            .setHiddenSize(hidden)
                                            .optTrainingNoise(true)
                                            .optCapacityFactor(2f)
                                            .optBalanceLoss(ImportanceLoadLoss.builder().build())
                                            .optRegularizer(
                                                    GroupSparseRegularizer.builder()
                                                            .setExperts(experts)
                                                            .build(),
                                                    schedule)
                                            .build())
                            .add(Linear.builder().setUnits(CLASSES).build()));
            MoeLoss loss =
                    MoeLoss.builder()
                            .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                            .optBalanceWeight(0.01f)
                            .optGroupSparseWeight(0.01f * 4e-3f)
                            .build();
            TrainingRun[] run = new TrainingRun[1];
            run[0] =
                    TrainingRun.builder()
                            .setModel(model)
                            .setLoss(loss)
                            .setOptimizer(
                                    StatefulAdamW.builder()
                                            .optLearningRateTracker(Tracker.fixed(1e-3f))
                                            .optWeightDecays(0.05f)
                                            .build())
                            .setTrainingData(batches)
                            .optValidationData(
                                    ShuffledBatches.builder()
                                            .setDataset(train)
                                            .setBatchSize(512)
                                            .optShuffle(false)
                                            .build())
                            .addEvaluator(new Accuracy())
                            .addListener(new SigmaScheduleListener())
                            .setInputShapes(new Shape(batchSize, width))
                            .setEpochs(epochs)
                            .setSeed(seed)
                            .optCheckpointEvery(checkpointEvery)
                            .optClipGradNorm(1f)
                            .optProgressEvery(0)
                            .optLog(
                                    new PrintStream(
                                            java.io.OutputStream.nullOutputStream(),
                                            true,
                                            StandardCharsets.UTF_8))
                            .addStepListener(
                                    record -> {
                                        long done = record.getStep() + 1;
                                        if (done == 1 || done % every == 0) {
                                            // Collect Java garbage first so the heap column shows
                                            // live objects only.
                                            System.gc();
                                            long[] row = {
                                                done,
                                                residentKiB(),
                                                usedHeapKiB(),
                                                model.getNDManager().getManagedArrays().size()
                                            };
                                            rows.add(row);
                                            out.printf(
                                                    Locale.ROOT,
                                                    "| %d | %.1f | %.1f | %d | %.4f |%n",
                                                    row[0],
                                                    row[1] / 1024.0,
                                                    row[2] / 1024.0,
                                                    row[3],
                                                    record.getLoss());
                                        }
                                        if (done == steps) {
                                            run[0].requestStop();
                                        }
                                    })
                            .build();
            out.println(
                    "| step | VmRSS MiB | Java heap live MiB | NDArrays on the model manager | loss"
                            + " |");
            out.println("|---|---|---|---|---|");
            TrainingSummary summary = run[0].run(runDir);
            out.printf(
                    Locale.ROOT,
                    "%nTrained %d steps (%d epoch%s started).%n",
                    summary.getStep(),
                    summary.getEpochs().size() + 1,
                    summary.getEpochs().isEmpty() ? "" : "s");
        }
        long[] atWarmup = null;
        long[] last = rows.get(rows.size() - 1);
        for (long[] row : rows) {
            if (row[0] >= warmup) {
                atWarmup = row;
                break;
            }
        }
        if (atWarmup != null && last[0] > atWarmup[0]) {
            long max = 0;
            long min = Long.MAX_VALUE;
            for (long[] row : rows) {
                if (row[0] >= atWarmup[0]) {
                    max = Math.max(max, row[1]);
                    min = Math.min(min, row[1]);
                }
            }
            out.printf(
                    Locale.ROOT,
                    "After warm-up (step %d to %d): VmRSS %+.1f MiB (%.1f KiB/step), range"
                            + " %.1f..%.1f MiB%n",
                    atWarmup[0],
                    last[0],
                    (last[1] - atWarmup[1]) / 1024.0,
                    (double) (last[1] - atWarmup[1]) / (last[0] - atWarmup[0]),
                    min / 1024.0,
                    max / 1024.0);
        }
        return 0;
    }

    private ArrayDataset dataset(NDManager manager) {
        Random random = new Random(seed);
        float[] centres = new float[CLASSES * width];
        for (int i = 0; i < centres.length; i++) {
            centres[i] = (float) random.nextGaussian() * 2f;
        }
        float[] x = new float[samples * width];
        float[] y = new float[samples];
        for (int i = 0; i < samples; i++) {
            int label = random.nextInt(CLASSES);
            y[i] = label;
            for (int j = 0; j < width; j++) {
                x[i * width + j] = centres[label * width + j] + (float) random.nextGaussian();
            }
        }
        NDArray data = manager.create(x, new Shape(samples, width));
        NDArray labels = manager.create(y);
        return new ArrayDataset.Builder()
                .setData(data)
                .optLabels(labels)
                .setSampling(batchSize, false)
                .build();
    }

    /** Resident set size of this process in KiB, from /proc/self/status (Linux). */
    static long residentKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // Not Linux: report -1.
        }
        return -1;
    }

    private static long usedHeapKiB() {
        Runtime runtime = Runtime.getRuntime();
        return (runtime.totalMemory() - runtime.freeMemory()) / 1024;
    }
}
