package io.github.moge.examples.benchmark;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.preset.VisionPreset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures training throughput (images per second of forward + backward, loss included) of vision
 * MoE models against their MoGE versions, e.g. V-MoE-S vs V-MoGE-S and SwinV2-MoE-T vs
 * SwinV2-MoGE-T at the CIFAR-100 presets, and prints a Markdown table with the MoGE overhead in
 * percent.
 *
 * <p>Both models of a pair get the same weights and the same batches, and their steps are
 * interleaved so drift in machine speed affects both alike. Because the end-to-end difference is at
 * the percent level (noisy on a shared CPU), the table also gives the cost of the group-sparse
 * regularizer alone: its forward and backward on routing inputs of the size every MoGE layer of the
 * model sees, summed over the layers, relative to the MoE step.
 */
@Command(
        name = "benchmark-vision",
        mixinStandardHelpOptions = true,
        description = {
            "Times forward+backward training steps of vision MoE vs MoGE presets (images/second).",
            "Prints a Markdown table with the MoGE overhead in percent."
        })
public final class VisionBenchmark implements Callable<Integer> {

    @Option(
            names = "--pairs",
            split = ",",
            defaultValue =
                    "vit-moe-s-cifar100:vit-moge-s-cifar100,"
                            + "swinv2-moe-t-cifar100:swinv2-moge-t-cifar100",
            description = "MOE:MOGE preset pairs to compare (default: ${DEFAULT-VALUE}).")
    String[] pairs;

    @Option(
            names = "--batch",
            defaultValue = "8",
            description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--warmup",
            defaultValue = "2",
            description = "Untimed steps per model (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--steps",
            defaultValue = "5",
            description = "Timed steps per model (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed;

    /** One measured pair. */
    static final class Row {
        String moe;
        String moge;
        int layers;
        double moeMs;
        double mogeMs;
        double regularizerMs;
        int batch;

        double imagesPerSecond(double ms) {
            return batch * 1000.0 / ms;
        }

        double endToEndPercent() {
            return 100 * (mogeMs - moeMs) / moeMs;
        }

        double isolatedPercent() {
            return 100 * regularizerMs / moeMs;
        }
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() {
        if (batch < 1 || steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("--batch and --steps must be >= 1, --warmup >= 0");
        }
        Engine.getInstance().setRandomSeed(seed);
        Device device = Engine.getInstance().defaultDevice();
        System.out.printf(
                Locale.ROOT,
                "benchmark-vision: batch %d on %s (%s %s), %d cores, %d warm-up + %d timed steps"
                        + " per model%n",
                batch,
                device,
                Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(),
                Runtime.getRuntime().availableProcessors(),
                warmup,
                steps);
        List<Row> rows = new ArrayList<>();
        for (String pair : pairs) {
            String[] names = pair.split(":");
            if (names.length != 2) {
                throw new IllegalArgumentException(
                        "--pairs takes MOE:MOGE preset names, got " + pair);
            }
            Row row = measure(VisionPreset.get(names[0]), VisionPreset.get(names[1]));
            rows.add(row);
            System.out.println(format(row));
        }
        System.out.println();
        System.out.println(table(rows));
        return 0;
    }

    private Row measure(VisionPreset moePreset, VisionPreset mogePreset) {
        if (mogePreset.getKind() != VisionPreset.Kind.MOGE) {
            throw new IllegalArgumentException(mogePreset.getName() + " is not a MoGE preset");
        }
        int totalSteps = 1000;
        Block moe = moePreset.newModel(totalSteps);
        Block moge = mogePreset.newModel(totalSteps);
        List<MoeBlock> mogeLayers = SigmaScheduleListener.findMoeBlocks(moge);
        mogeLayers.forEach(layer -> layer.setScheduleStep(100));
        Loss moeLoss = moePreset.newLoss();
        Loss mogeLoss = mogePreset.newLoss();
        Shape input = moePreset.inputShape(batch);
        if (!input.equals(mogePreset.inputShape(batch))) {
            throw new IllegalArgumentException("the presets of a pair must take the same input");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            moe.initialize(manager, DataType.FLOAT32, input);
            moge.initialize(manager, DataType.FLOAT32, input);
            for (Pair<String, Parameter> p : moge.getParameters()) {
                Parameter source = moe.getParameters().get(p.getKey());
                if (source == null) {
                    throw new IllegalArgumentException(
                            "the presets of a pair must share an architecture: " + p.getKey());
                }
                p.getValue().getArray().set(source.getArray().toByteBuffer());
            }
            ParameterStore store = new ParameterStore(manager, false);
            long[] moeNanos = new long[steps];
            long[] mogeNanos = new long[steps];
            long[] regNanos = new long[steps];
            long[] tokens = tokensPerLayer(mogePreset, mogeLayers.size());
            for (int i = -warmup; i < steps; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.randomNormal(input);
                    NDArray labels =
                            step.randomInteger(
                                            0,
                                            moePreset.getClasses(),
                                            new Shape(batch),
                                            DataType.INT64)
                                    .toType(DataType.FLOAT32, false);
                    long moeTime = timeStep(moe, moeLoss, store, x, labels);
                    long mogeTime = timeStep(moge, mogeLoss, store, x, labels);
                    long regTime = timeRegularizers(step, mogeLayers, tokens);
                    if (i >= 0) {
                        moeNanos[i] = moeTime;
                        mogeNanos[i] = mogeTime;
                        regNanos[i] = regTime;
                    }
                }
            }
            Row row = new Row();
            row.moe = moePreset.getName();
            row.moge = mogePreset.getName();
            row.layers = mogeLayers.size();
            row.batch = batch;
            row.moeMs = LayerBenchmark.median(moeNanos) / 1e6;
            row.mogeMs = LayerBenchmark.median(mogeNanos) / 1e6;
            row.regularizerMs = LayerBenchmark.median(regNanos) / 1e6;
            return row;
        }
    }

    /** Tokens each MoE layer routes per step, from the preset's geometry. */
    private long[] tokensPerLayer(VisionPreset preset, int layers) {
        long side = preset.getImageSize() / preset.getPatchSize();
        long[] out = new long[layers];
        List<Integer> indices = preset.getMoeLayers();
        for (int l = 0; l < layers; l++) {
            if (preset.getFamily() == VisionPreset.Family.VIT) {
                out[l] = batch * (side * side + 1);
            } else {
                int[] depths = preset.getDepths();
                int stage = 0;
                int end = depths[0];
                while (indices.get(l) >= end) {
                    stage++;
                    end += depths[stage];
                }
                long s = side >> stage;
                out[l] = batch * s * s;
            }
        }
        return out;
    }

    /** One training step: forward, the preset's loss, backward. */
    private static long timeStep(
            Block model, Loss loss, ParameterStore store, NDArray x, NDArray labels) {
        long start = System.nanoTime();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDList out = model.forward(store, new NDList(x), true);
            collector.backward(loss.evaluate(new NDList(labels), out));
        }
        // Reading a scalar waits for the backward pass on asynchronous devices.
        model.getParameters().get(0).getValue().getArray().getGradient().sum().getFloat();
        return System.nanoTime() - start;
    }

    /**
     * The regularizers of all MoGE layers alone, forward and backward, on softmax inputs of their
     * size.
     */
    private static long timeRegularizers(NDManager manager, List<MoeBlock> layers, long[] tokens) {
        List<NDArray> inputs = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            NDArray z =
                    manager.randomNormal(new Shape(tokens[l], layers.get(l).getNumExperts()))
                            .softmax(1);
            z.setRequiresGradient(true);
            inputs.add(z);
        }
        inputs.get(0).getFloat(0, 0);
        long start = System.nanoTime();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray total = null;
            for (int l = 0; l < layers.size(); l++) {
                GroupSparseRegularizer regularizer = layers.get(l).getRegularizer();
                NDArray value = regularizer.compute(inputs.get(l), layers.get(l).getSigma());
                total = total == null ? value : total.add(value);
            }
            collector.backward(total);
        }
        inputs.get(0).getGradient().sum().getFloat();
        return System.nanoTime() - start;
    }

    private static String format(Row r) {
        return String.format(
                Locale.ROOT,
                "| %s vs %s | %d | %d | %.1f | %.1f | %.2f | %.2f | %+.2f | %.2f | %.2f |",
                r.moe,
                r.moge,
                r.layers,
                r.batch,
                r.moeMs,
                r.mogeMs,
                r.imagesPerSecond(r.moeMs),
                r.imagesPerSecond(r.mogeMs),
                r.endToEndPercent(),
                r.regularizerMs,
                r.isolatedPercent());
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                        "| MoE vs MoGE preset | MoE layers | batch | MoE ms/step | MoGE ms/step |"
                                + " MoE img/s | MoGE img/s |")
                .append(" end-to-end diff % | L_gs fwd+bwd ms (all layers) | MoGE overhead % |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(format(r)).append('\n');
        }
        return sb.toString();
    }
}
