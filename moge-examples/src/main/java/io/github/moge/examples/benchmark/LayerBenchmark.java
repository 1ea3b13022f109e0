package io.github.moge.examples.benchmark;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.balance.ImportanceLoadLoss;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures the forward + backward time per step of one MoE layer and of the same layer with the
 * group-sparse regularizer (MoGE), and the regularizer's own cost, then prints a Markdown table.
 *
 * <p>Both layers share one set of weights and see the same inputs; their steps are interleaved so
 * drift in machine speed affects both alike. The overhead is reported twice: the end-to-end
 * difference of the two medians (noisy at the percent level on a shared CPU) and the regularizer's
 * forward + backward on the same routing input timed alone, relative to the MoE step (stable).
 */
@Command(
        name = "benchmark-layer",
        mixinStandardHelpOptions = true,
        description = {
            "Times forward+backward of an MoE layer with and without the group-sparse regularizer.",
            "Prints a Markdown table (E, map, mode, capacity, MoE ms, MoGE ms, overhead %%)."
        })
public final class LayerBenchmark implements Callable<Integer> {

    @Option(
            names = "--experts",
            split = ",",
            defaultValue = "16,32,128,400",
            description = "Expert counts E to measure (default: ${DEFAULT-VALUE}).")
    int[] experts;

    @Option(
            names = "--tokens",
            defaultValue = "4096",
            description = "Tokens N per step (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--width",
            defaultValue = "512",
            description = "Model width d (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(
            names = "--hidden",
            defaultValue = "1024",
            description = "Expert hidden width h (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "capacity,dropless",
            description = "Dispatch modes: capacity (C = --capacity-factor, BPR) and/or dropless.")
    String[] modes;

    @Option(
            names = "--capacity-factor",
            defaultValue = "4",
            description = "C for capacity mode (default: ${DEFAULT-VALUE}).")
    float capacityFactor;

    @Option(
            names = "--top-k",
            defaultValue = "1",
            description = "Experts per token k (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(
            names = "--warmup",
            defaultValue = "2",
            description = "Untimed steps per layer (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--steps",
            defaultValue = "5",
            description = "Timed steps per layer (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed;

    /** One measured configuration. */
    static final class Row {
        int experts;
        TopographicMap map;
        String mode;
        int capacity;
        double moeMs;
        double mogeMs;
        double regularizerMs;

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
        validate();
        Engine.getInstance().setRandomSeed(seed);
        Device device = Engine.getInstance().defaultDevice();
        System.out.printf(
                Locale.ROOT,
                "benchmark-layer: N=%d d=%d h=%d k=%d on %s (%s %s), %d cores, %d warm-up + %d"
                        + " timed steps%n",
                tokens,
                width,
                hidden,
                topK,
                device,
                Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(),
                Runtime.getRuntime().availableProcessors(),
                warmup,
                steps);
        List<Row> rows = new ArrayList<>();
        for (int e : experts) {
            for (String mode : modes) {
                Row row = measure(e, mode);
                rows.add(row);
                System.out.println(format(row));
            }
        }
        System.out.println();
        System.out.println(table(rows));
        return 0;
    }

    private void validate() {
        if (tokens < 1 || width < 1 || hidden < 1 || steps < 1 || warmup < 0 || topK < 1) {
            throw new IllegalArgumentException(
                    "--tokens, --width, --hidden, --steps and --top-k must be >= 1, --warmup >= 0");
        }
        for (String mode : modes) {
            if (!mode.equals("capacity") && !mode.equals("dropless")) {
                throw new IllegalArgumentException(
                        "--modes takes capacity and/or dropless, got " + mode);
            }
        }
        for (int e : experts) {
            if (topK > e) {
                throw new IllegalArgumentException("--top-k " + topK + " exceeds --experts " + e);
            }
            TopographicMap.forExperts(e).requireFits(3);
        }
    }

    private Row measure(int numExperts, String mode) {
        float factor = mode.equals("capacity") ? capacityFactor : 0f;
        SigmaSchedule schedule = SigmaSchedule.VISION.over(1000);
        GroupSparseRegularizer regularizer =
                GroupSparseRegularizer.builder().setExperts(numExperts).build();
        MoeBlock moe = layer(numExperts, factor, null, schedule);
        MoeBlock moge = layer(numExperts, factor, regularizer, schedule);
        moge.setScheduleStep(100);
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape input = new Shape(tokens, width);
            moe.initialize(manager, DataType.FLOAT32, input);
            moge.initialize(manager, DataType.FLOAT32, input);
            // Same weights in both layers, so the only difference is the regularizer.
            moge.getParameters()
                    .forEach(
                            p ->
                                    p.getValue()
                                            .getArray()
                                            .set(
                                                    moe.getParameters()
                                                            .get(p.getKey())
                                                            .getArray()
                                                            .toByteBuffer()));
            ParameterStore parameters = new ParameterStore(manager, false);
            long[] moeNanos = new long[steps];
            long[] mogeNanos = new long[steps];
            long[] regNanos = new long[steps];
            int[] capacity = new int[1];
            for (int i = -warmup; i < steps; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.randomNormal(input);
                    long moeTime = timeStep(moe, parameters, x);
                    long mogeTime = timeStep(moge, parameters, x);
                    long regTime =
                            timeRegularizer(moe, regularizer, parameters, x, moge.getSigma());
                    capacity[0] = capacityOf(moe, parameters, x);
                    if (i >= 0) {
                        moeNanos[i] = moeTime;
                        mogeNanos[i] = mogeTime;
                        regNanos[i] = regTime;
                    }
                }
            }
            Row row = new Row();
            row.experts = numExperts;
            row.map = regularizer.getMap();
            row.mode = mode.equals("capacity") ? "capacity C=" + trim(capacityFactor) : "dropless";
            row.capacity = capacity[0];
            row.moeMs = median(moeNanos) / 1e6;
            row.mogeMs = median(mogeNanos) / 1e6;
            row.regularizerMs = median(regNanos) / 1e6;
            return row;
        }
    }

    private MoeBlock layer(
            int numExperts,
            float factor,
            GroupSparseRegularizer regularizer,
            SigmaSchedule schedule) {
        MoeBlock.Builder builder =
                MoeBlock.builder()
                        .setExperts(numExperts)
                        .setHiddenSize(hidden)
                        .optTopK(topK)
                        .optTrainingNoise(true)
                        .optCapacityFactor(factor)
                        .optBalanceLoss(ImportanceLoadLoss.builder().build());
        if (regularizer != null) {
            builder.optRegularizer(regularizer, schedule);
        }
        return builder.build();
    }

    /**
     * One training step's forward and backward; the loss reads every output so nothing is skipped.
     */
    private static long timeStep(MoeBlock block, ParameterStore parameters, NDArray x) {
        long start = System.nanoTime();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDList out = block.forward(parameters, new NDList(x), true);
            NDArray loss = out.head().mean();
            for (NDArray term : AuxiliaryTerms.of(out)) {
                loss = loss.add(term);
            }
            collector.backward(loss);
        }
        // Reading a scalar waits for the backward pass on asynchronous devices.
        block.getParameters().get(0).getValue().getArray().getGradient().sum().getFloat();
        return System.nanoTime() - start;
    }

    /** The regularizer alone, forward and backward, on the layer's own routing input. */
    private static long timeRegularizer(
            MoeBlock block,
            GroupSparseRegularizer regularizer,
            ParameterStore parameters,
            NDArray x,
            float sigma) {
        NDArray z = block.route(parameters, x, true).getRoutingInput().stopGradient();
        z.setRequiresGradient(true);
        z.getFloat(0, 0);
        long start = System.nanoTime();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(regularizer.compute(z, sigma));
        }
        z.getGradient().sum().getFloat();
        return System.nanoTime() - start;
    }

    private static int capacityOf(MoeBlock block, ParameterStore parameters, NDArray x) {
        var routing = block.route(parameters, x, true);
        return block.getDispatcher()
                .plan(routing.getExperts(), routing.getWeights(), block.getNumExperts())
                .getCapacity();
    }

    /** {@return the median of timings (the mean of the middle two for an even count)} */
    static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    private static String trim(float value) {
        return value == (int) value ? Integer.toString((int) value) : Float.toString(value);
    }

    private static String format(Row r) {
        return String.format(
                Locale.ROOT,
                "| %d | %s | %s | %d | %.1f | %.1f | %+.2f | %.2f | %.2f |",
                r.experts,
                r.map,
                r.mode,
                r.capacity,
                r.moeMs,
                r.mogeMs,
                r.endToEndPercent(),
                r.regularizerMs,
                r.isolatedPercent());
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                        "| E | map | mode | slots/expert | MoE ms/step | MoGE ms/step | end-to-end"
                                + " diff % |")
                .append(" L_gs fwd+bwd ms | MoGE overhead % |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(format(r)).append('\n');
        }
        return sb.toString();
    }
}
