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
import io.github.moge.core.dispatch.DispatchPlan;
import io.github.moge.core.dispatch.TokenDispatcher.ExpertPath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Measures the forward + backward time per step of one MoE layer and of the same layer with the
 * group-sparse regularizer (MoGE), and the regularizer's own cost, then prints a Markdown table.
 *
 * <p>Both layers share one set of weights and see the same inputs; their steps are interleaved so
 * drift in machine speed affects both alike. The overhead is reported twice: the end-to-end
 * difference of the two medians (noisy at the percent level on a shared CPU) and the regularizer's
 * forward + backward on the same routing input timed alone, relative to the MoE step (stable).
 *
 * <p>When a Python with torch is found, each configuration is also run by the PyTorch peer {@code
 * moge-examples/bench/peer_layer.py} (the same layer in eager PyTorch, same threads) right after
 * the Java one, in interleaved rounds; the MoE step's ratio to the peer is taken within each round.
 * The useful rate divides the expert products' arithmetic (forward and backward, {@code 3 x 2 x N k
 * x 2 d h} floating-point operations, padding not counted) by the MoE step time, and compares it
 * with a dense {@code [N, d] x [d, h]} product on the same engine.
 */
@Command(
        name = "benchmark-layer",
        mixinStandardHelpOptions = true,
        description = {
            "Times forward+backward of an MoE layer with and without the group-sparse regularizer.",
            "Prints a Markdown table (E, map, mode, path, capacity, MoE ms, MoGE ms, overhead %%,"
                    + " PyTorch peer ms, useful GFLOP/s)."
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

    @Option(
            names = "--path",
            defaultValue = "AUTO",
            description =
                    "How the experts run: AUTO, PADDED, OCCUPIED or GROUPED (default:"
                            + " ${DEFAULT-VALUE}; the path column shows what AUTO chose).")
    ExpertPath path;

    @Option(
            names = "--rounds",
            defaultValue = "1",
            description = "Interleaved rounds of every configuration (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin PeerOptions peerOptions;

    /** One measured configuration: one round, or the medians over rounds. */
    static final class Row {
        int experts;
        TopographicMap map;
        String mode;
        ExpertPath path;
        int capacity;
        double moeMs;
        double mogeMs;
        double regularizerMs;

        /** The peer's step, NaN without a peer. */
        double peerMs = Double.NaN;

        /** MoE step over the peer's, within a round (the median of those over rounds). */
        double peerRatio = Double.NaN;

        /** Useful expert arithmetic of one forward + backward, in GFLOP. */
        double usefulGflop;

        double endToEndPercent() {
            return 100 * (mogeMs - moeMs) / moeMs;
        }

        double isolatedPercent() {
            return 100 * regularizerMs / moeMs;
        }

        double usefulRate() {
            return usefulGflop / (moeMs / 1e3);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        Engine.getInstance().setRandomSeed(seed);
        Device device = Engine.getInstance().defaultDevice();
        PythonPeer peer = peerOptions.find("peer_layer.py");
        System.out.printf(
                Locale.ROOT,
                "benchmark-layer: N=%d d=%d h=%d k=%d on %s (%s %s), %d cores, %d intra-op threads,"
                        + " %d rounds x (%d warm-up + %d timed steps); peer: %s%n",
                tokens,
                width,
                hidden,
                topK,
                device,
                Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(),
                Runtime.getRuntime().availableProcessors(),
                PythonPeer.threads(),
                rounds,
                warmup,
                steps,
                peerOptions.describe(peer));
        Map<String, List<Row>> measured = new LinkedHashMap<>();
        double[] denseNanos = new double[rounds];
        double[] peerDense = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            denseNanos[round] = denseProductNanos();
            for (int e : experts) {
                for (String mode : modes) {
                    Row row = measure(e, mode);
                    if (peer != null) {
                        double[] result = peer.run(peerArgs(e, mode), 2);
                        row.peerMs = result[0];
                        row.peerRatio = row.moeMs / row.peerMs;
                        peerDense[round] = result[1];
                    }
                    measured.computeIfAbsent(e + " " + mode, key -> new ArrayList<>()).add(row);
                    System.out.println("round " + (round + 1) + " " + format(row));
                }
            }
        }
        double denseRate = 2.0 * tokens * width * hidden / (median(denseNanos) / 1e9) / 1e9;
        System.out.println();
        System.out.printf(
                Locale.ROOT,
                "dense [%d, %d] x [%d, %d] product: %.1f GFLOP/s (Java)%s%n",
                tokens,
                width,
                width,
                hidden,
                denseRate,
                peer == null
                        ? ""
                        : String.format(Locale.ROOT, ", %.1f GFLOP/s (peer)", median(peerDense)));
        System.out.println();
        List<Row> rows = measured.values().stream().map(LayerBenchmark::medians).toList();
        System.out.println(table(rows, denseRate));
        return 0;
    }

    private List<String> peerArgs(int numExperts, String mode) {
        return PythonPeer.withTiming(
                warmup,
                steps,
                seed,
                "--experts",
                Integer.toString(numExperts),
                "--tokens",
                Integer.toString(tokens),
                "--width",
                Integer.toString(width),
                "--hidden",
                Integer.toString(hidden),
                "--mode",
                mode,
                "--capacity-factor",
                Float.toString(capacityFactor),
                "--top-k",
                Integer.toString(topK));
    }

    /** One dense product of the layer's size, the engine's reference rate (median of 5). */
    private double denseProductNanos() {
        long[] nanos = new long[5];
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(new Shape(tokens, width));
            NDArray b = manager.randomNormal(new Shape(width, hidden));
            for (int i = -1; i < nanos.length; i++) {
                long start = System.nanoTime();
                try (NDArray product = a.matMul(b);
                        NDArray sum = product.sum()) {
                    sum.getFloat();
                }
                if (i >= 0) {
                    nanos[i] = System.nanoTime() - start;
                }
            }
        }
        return median(nanos);
    }

    /** The medians over rounds of one configuration. */
    private static Row medians(List<Row> rounds) {
        Row first = rounds.get(0);
        Row row = new Row();
        row.experts = first.experts;
        row.map = first.map;
        row.mode = first.mode;
        row.path = first.path;
        row.capacity = first.capacity;
        row.usefulGflop = first.usefulGflop;
        row.moeMs = median(rounds, r -> r.moeMs);
        row.mogeMs = median(rounds, r -> r.mogeMs);
        row.regularizerMs = median(rounds, r -> r.regularizerMs);
        row.peerMs = median(rounds, r -> r.peerMs);
        row.peerRatio = median(rounds, r -> r.peerRatio);
        return row;
    }

    private static double median(List<Row> rounds, ToDoubleFunction<Row> field) {
        return median(rounds.stream().mapToDouble(field).toArray());
    }

    private void validate() {
        if (tokens < 1
                || width < 1
                || hidden < 1
                || steps < 1
                || warmup < 0
                || topK < 1
                || rounds < 1) {
            throw new IllegalArgumentException(
                    "--tokens, --width, --hidden, --steps, --top-k and --rounds must be >= 1,"
                            + " --warmup >= 0");
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
            DispatchPlan[] plan = new DispatchPlan[1];
            for (int i = -warmup; i < steps; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.randomNormal(input);
                    long moeTime = timeStep(moe, parameters, x);
                    long mogeTime = timeStep(moge, parameters, x);
                    long regTime =
                            timeRegularizer(moe, regularizer, parameters, x, moge.getSigma());
                    plan[0] = planOf(moe, parameters, x);
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
            row.path = plan[0].getPath();
            row.capacity = plan[0].getCapacity();
            row.moeMs = median(moeNanos) / 1e6;
            row.mogeMs = median(mogeNanos) / 1e6;
            row.regularizerMs = median(regNanos) / 1e6;
            row.usefulGflop = 3.0 * 2 * tokens * topK * 2.0 * width * hidden / 1e9;
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
                        .optExpertPath(path)
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

    private static DispatchPlan planOf(MoeBlock block, ParameterStore parameters, NDArray x) {
        var routing = block.route(parameters, x, true);
        return block.getDispatcher()
                .plan(routing.getExperts(), routing.getWeights(), block.getNumExperts());
    }

    /** {@return the median of timings (the mean of the middle two for an even count)} */
    static double median(long[] values) {
        return median(Arrays.stream(values).asDoubleStream().toArray());
    }

    /** {@return the median of values (the mean of the middle two for an even count)} */
    static double median(double[] values) {
        double[] sorted = values.clone();
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
                "| %d | %s | %s | %s | %d | %.1f | %.1f | %+.2f | %.2f | %.2f | %s | %s | %.1f |",
                r.experts,
                r.map,
                r.mode,
                r.path.name().toLowerCase(Locale.ROOT),
                r.capacity,
                r.moeMs,
                r.mogeMs,
                r.endToEndPercent(),
                r.regularizerMs,
                r.isolatedPercent(),
                Double.isNaN(r.peerMs) ? "-" : String.format(Locale.ROOT, "%.1f", r.peerMs),
                Double.isNaN(r.peerRatio) ? "-" : String.format(Locale.ROOT, "%.2f", r.peerRatio),
                r.usefulRate());
    }

    /**
     * The table of measured rows.
     *
     * @param rows the rows (medians over rounds)
     * @param denseRate the dense product's rate on this engine, GFLOP/s
     * @return a Markdown table
     */
    static String table(List<Row> rows, double denseRate) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                        "| E | map | mode | path | slots/expert | MoE ms/step | MoGE ms/step |"
                                + " end-to-end diff % |")
                .append(" L_gs fwd+bwd ms | MoGE overhead % | peer ms/step | MoE / peer |")
                .append(" useful GFLOP/s | % of dense |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(format(r))
                    .append(String.format(Locale.ROOT, " %.0f |", 100 * r.usefulRate() / denseRate))
                    .append('\n');
        }
        return sb.toString();
    }
}
