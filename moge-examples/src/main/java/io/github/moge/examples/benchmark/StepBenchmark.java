package io.github.moge.examples.benchmark;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.dispatch.TokenDispatcher;
import io.github.moge.core.dispatch.TokenDispatcher.ExpertPath;
import io.github.moge.core.training.optim.StatefulAdamW;
import io.github.moge.core.training.optim.StatefulOptimizer;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.model.InvarianceModel;
import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times one training step of the invariance model (E experts d -&gt; h -&gt; d on Fashion-MNIST
 * images, top-1 dropless, AdamW), split into forward, backward and optimizer milliseconds, on raw
 * and mean-centred pixels, and the same step of a pure-PyTorch peer ({@code
 * moge-examples/bench/peer_step.py}) when a Python with torch is found. Java and peer run in
 * interleaved rounds; each round reports medians and the table shows the median over rounds.
 */
@Command(
        name = "benchmark-step",
        mixinStandardHelpOptions = true,
        description = {
            "Times forward, backward and optimizer of a training step of the invariance model.",
            "Measures Java and a PyTorch peer, on raw and on mean-centred pixels, and prints a"
                    + " Markdown table."
        })
public final class StepBenchmark implements Callable<Integer> {

    @Option(
            names = "--model",
            defaultValue = "invariance",
            description = "Model to time: invariance.")
    String model;

    @Option(
            names = "--batch",
            defaultValue = "200",
            description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--experts",
            defaultValue = "400",
            description = "Experts E (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(
            names = "--hidden",
            defaultValue = "64",
            description = "Expert hidden width h (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(
            names = "--inputs",
            split = ",",
            defaultValue = "raw,centred",
            description =
                    "Pixel inputs: raw ([0, 1]) and/or centred (minus the batch's per-pixel mean).")
    String[] inputs;

    @Option(
            names = "--paths",
            split = ",",
            defaultValue = "AUTO",
            description =
                    "Expert paths of the Java model: AUTO, PADDED, OCCUPIED, GROUPED (default:"
                            + " ${DEFAULT-VALUE}).")
    ExpertPath[] paths;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
            names = "--warmup",
            defaultValue = "2",
            description = "Untimed steps per round (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--steps",
            defaultValue = "5",
            description = "Timed steps per round (default: ${DEFAULT-VALUE}).")
    int steps;

    @Mixin PeerOptions peerOptions;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed;

    /** Per-phase milliseconds of one configuration, one median per round. */
    static final class Timings {
        final List<double[]> rounds = new ArrayList<>();

        double median(int phase) {
            long[] values = rounds.stream().mapToLong(r -> Math.round(r[phase] * 1e3)).toArray();
            return LayerBenchmark.median(values) / 1e3;
        }
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!"invariance".equals(model)) {
            throw new IllegalArgumentException("--model takes invariance, got " + model);
        }
        if (batch < 1 || experts < 1 || hidden < 1 || rounds < 1 || steps < 1 || warmup < 0) {
            throw new IllegalArgumentException(
                    "--batch, --experts, --hidden, --rounds and --steps must be >= 1, --warmup >="
                            + " 0");
        }
        for (String input : inputs) {
            if (!input.equals("raw") && !input.equals("centred")) {
                throw new IllegalArgumentException(
                        "--inputs takes raw and/or centred, got " + input);
            }
        }
        PythonPeer peer = peerOptions.find("peer_step.py");
        System.out.printf(
                Locale.ROOT,
                "benchmark-step: invariance model E=%d 784->%d->784, batch %d, top-1 dropless,"
                    + " AdamW; %s %s, %d cores, %d intra-op threads; %d rounds x (%d warm-up + %d"
                    + " timed steps); peer: %s%n",
                experts,
                hidden,
                batch,
                Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(),
                Runtime.getRuntime().availableProcessors(),
                PythonPeer.threads(),
                rounds,
                warmup,
                steps,
                peerOptions.describe(peer));
        Map<String, Timings> results = new LinkedHashMap<>();
        Map<String, String> loads = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (String input : inputs) {
                for (ExpertPath path : paths) {
                    String key = input + " | Java " + path;
                    double[] ms = measureJava(input, path, loads);
                    results.computeIfAbsent(key, k -> new Timings()).rounds.add(ms);
                    System.out.println("round " + (round + 1) + " " + key + " " + format(ms));
                }
                if (peer != null) {
                    String key = input + " | PyTorch peer";
                    double[] ms = measurePeer(peer, input);
                    results.computeIfAbsent(key, k -> new Timings()).rounds.add(ms);
                    System.out.println("round " + (round + 1) + " " + key + " " + format(ms));
                }
            }
        }
        System.out.println();
        loads.forEach((input, load) -> System.out.println(input + ": " + load));
        System.out.println();
        System.out.println(
                "| input | implementation | forward ms | backward ms | optimizer ms | step ms |"
                        + " step / peer |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Map.Entry<String, Timings> entry : results.entrySet()) {
            Timings t = entry.getValue();
            String input = entry.getKey().substring(0, entry.getKey().indexOf(' '));
            Timings peerTimings = results.get(input + " | PyTorch peer");
            String ratio =
                    peerTimings == null
                            ? "-"
                            : String.format(
                                    Locale.ROOT, "%.2f", t.median(3) / peerTimings.median(3));
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %.1f | %.1f | %.1f | %.1f | %s |%n",
                    entry.getKey(),
                    t.median(0),
                    t.median(1),
                    t.median(2),
                    t.median(3),
                    ratio);
        }
        return 0;
    }

    private static String format(double[] ms) {
        return String.format(
                Locale.ROOT,
                "forward %.1f backward %.1f optimizer %.1f step %.1f ms",
                ms[0],
                ms[1],
                ms[2],
                ms[3]);
    }

    /** The first {@code batch} training images, raw or centred, and their labels. */
    private NDList batch(NDManager manager, String input) throws IOException {
        FashionMnistDataset data =
                FashionMnistDataset.builder().optFlatten(true).setSampling(batch, false).build();
        data.prepare();
        long[] indices = LongStream.range(0, batch).toArray();
        NDArray images = data.getImages(manager, indices);
        if (input.equals("centred")) {
            images = images.sub(images.mean(new int[] {0}, true));
        }
        return new NDList(images, data.getLabels(manager, indices));
    }

    /** Medians over the timed steps of one round: forward, backward, optimizer, whole step (ms). */
    private double[] measureJava(String input, ExpertPath path, Map<String, String> loads)
            throws IOException {
        Engine.getInstance().setRandomSeed(seed);
        InvarianceModel invariance =
                InvarianceModel.builder()
                        .optExperts(experts)
                        .optHiddenSize(hidden)
                        .optExpertPath(path)
                        .build();
        MoeLoss loss = MoeLoss.builder().setBaseLoss(Loss.softmaxCrossEntropyLoss()).build();
        StatefulOptimizer optimizer =
                StatefulAdamW.builder()
                        .optLearningRateTracker(Tracker.fixed(1e-3f))
                        .optWeightDecays(0.05f)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList data = batch(manager, input);
            var block = invariance.getBlock();
            block.initialize(manager, DataType.FLOAT32, new Shape(batch, 784));
            ParameterStore parameters = new ParameterStore(manager, false);
            loads.computeIfAbsent(input, k -> load(invariance, parameters, data.head()));
            long[][] nanos = new long[4][steps];
            for (int i = -warmup; i < steps; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = data.head().duplicate();
                    x.attach(step);
                    long t0 = System.nanoTime();
                    long t1;
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        NDList out = block.forward(parameters, new NDList(x), true);
                        NDArray value = loss.evaluate(new NDList(data.get(1)), out);
                        value.getFloat(); // the forward pass ends when the loss is known
                        t1 = System.nanoTime();
                        collector.backward(value);
                    }
                    long t2 = System.nanoTime();
                    for (Pair<String, Parameter> p : block.getParameters()) {
                        NDArray weight = p.getValue().getArray();
                        try (NDArray grad = weight.getGradient()) {
                            optimizer.update(p.getValue().getId(), weight, grad);
                        }
                    }
                    long t3 = System.nanoTime();
                    if (i >= 0) {
                        nanos[0][i] = t1 - t0;
                        nanos[1][i] = t2 - t1;
                        nanos[2][i] = t3 - t2;
                        nanos[3][i] = t3 - t0;
                    }
                }
            }
            double[] ms = new double[4];
            for (int phase = 0; phase < 4; phase++) {
                ms[phase] = LayerBenchmark.median(nanos[phase]) / 1e6;
            }
            return ms;
        }
    }

    /** How the batch routes at initialisation: largest expert load and occupied experts. */
    private String load(InvarianceModel invariance, ParameterStore parameters, NDArray images) {
        NDArray routed = invariance.route(parameters, images).getExperts();
        // The path depends on the per-expert counts only, not on the priority order.
        ExpertPath auto =
                TokenDispatcher.builder()
                        .optBatchPrioritized(false)
                        .build()
                        .plan(routed, null, experts)
                        .getPath();
        long[] chosen = routed.toLongArray();
        int[] counts = new int[experts];
        for (long e : chosen) {
            counts[(int) e]++;
        }
        int max = 0;
        int occupied = 0;
        for (int c : counts) {
            max = Math.max(max, c);
            occupied += c > 0 ? 1 : 0;
        }
        return String.format(
                Locale.ROOT,
                "largest expert load %d of %d tokens, %d of %d experts occupied (padded slots E x"
                        + " max = %d); AUTO takes %s",
                max,
                batch,
                occupied,
                experts,
                (long) experts * max,
                auto);
    }

    private double[] measurePeer(PythonPeer peer, String input)
            throws IOException, InterruptedException {
        return peer.run(
                PythonPeer.withTiming(
                        warmup,
                        steps,
                        seed,
                        "--images",
                        Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR, "train-images-idx3-ubyte.gz")
                                .toString(),
                        "--input",
                        input,
                        "--batch",
                        Integer.toString(batch),
                        "--experts",
                        Integer.toString(experts),
                        "--hidden",
                        Integer.toString(hidden)),
                4);
    }
}
