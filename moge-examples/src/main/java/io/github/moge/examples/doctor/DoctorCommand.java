package io.github.moge.examples.doctor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import ai.djl.util.Platform;
import ai.djl.util.cuda.CudaUtils;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.core.training.DeviceNames;
import io.github.moge.lm.eval.TokenCrossEntropyLoss;
import io.github.moge.lm.model.LmPreset;
import io.github.moge.lm.model.MoeTransformerLm;
import io.github.moge.vision.preset.VisionPreset;
import java.io.PrintWriter;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code moge doctor}: prints the Java, DJL and PyTorch versions, the native flavour and the
 * devices the engine reports (with GPU memory), then runs a MoGE layer, a ViT-MoGE training step
 * and an SMoGE training step on every device and compares each value with the CPU's. Exit 0 only if
 * all agree; on a machine without a GPU the CPU part runs and the skipped comparisons are named.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = {
            "Checks this setup: versions, native flavour (cpu / cu118) and devices, then runs a"
                + " MoGE layer, a ViT-MoGE and an SMoGE training step on every device and compares"
                + " output, loss, gradients and the updated parameters with the CPU's.",
            "Exit code 0 only if every device agrees with the CPU within the stated tolerance."
        })
public final class DoctorCommand implements Callable<Integer> {

    /** Relative tolerance: per array, max |device - cpu| <= RTOL * max |cpu| + ATOL. */
    static final double RTOL = 1e-3;

    /** Absolute tolerance, for arrays that are (nearly) zero. */
    static final double ATOL = 1e-5;

    @Spec CommandSpec spec;

    /** {@inheritDoc} */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Engine engine = Engine.getInstance();
        out.printf(
                Locale.ROOT,
                "Java %s (%s)%nDJL %s, %s %s, native flavour %s%n",
                System.getProperty("java.version"),
                System.getProperty("java.vendor"),
                Engine.getDjlVersion(),
                engine.getEngineName(),
                engine.getVersion(),
                flavour());
        Device[] devices = engine.getDevices();
        List<Device> gpus = new ArrayList<>();
        out.println("Devices the engine reports: " + DeviceNames.format(devices));
        for (Device device : devices) {
            if (device.isGpu()) {
                gpus.add(device);
                out.println("  " + DeviceNames.name(device) + ": " + memory(device));
            }
        }
        out.printf(
                Locale.ROOT,
                "Tolerance: per array, max |device - cpu| <= %.0e * max |cpu| + %.0e%n",
                RTOL,
                ATOL);
        boolean ok = true;
        for (DeviceCheck check : checks()) {
            Map<String, float[]> reference = check.run(Device.cpu());
            String problem = nonFinite(reference);
            out.printf(
                    Locale.ROOT,
                    "%-17s cpu   %s (%d arrays)%n",
                    check.name(),
                    problem == null ? "ok, finite" : "FAILED: " + problem,
                    reference.size());
            ok &= problem == null;
            for (Device gpu : gpus) {
                String difference = compare(reference, check.run(gpu));
                out.printf(
                        Locale.ROOT,
                        "%-17s %-5s %s%n",
                        check.name(),
                        DeviceNames.name(gpu),
                        difference == null ? "ok, agrees with cpu" : "FAILED: " + difference);
                ok &= difference == null;
            }
        }
        if (gpus.isEmpty()) {
            out.println(
                    "Skipped: the comparisons of every GPU with the CPU (the engine reports no GPU:"
                            + " build with -Pcuda on a machine with CUDA 11.8 to run them)");
        }
        out.println(ok ? "All checks passed." : "Some checks FAILED: see above.");
        return ok ? 0 : 1;
    }

    /** The three computations, each with fixed parameters and inputs. */
    static List<DeviceCheck> checks() {
        return List.of(mogeLayer(), vitMoge(), smoge());
    }

    /**
     * A MoGE layer in training mode (its balance and group-sparse terms included; no routing noise,
     * so nothing random).
     */
    private static DeviceCheck mogeLayer() {
        int tokens = 32;
        int width = 16;
        return new DeviceCheck(
                "MoGE layer",
                () ->
                        MoeBlock.builder()
                                .setExperts(16)
                                .setHiddenSize(32)
                                .optTopK(2)
                                .optBalanceLoss(ImportanceLoadLoss.builder().build())
                                .optRegularizer(
                                        GroupSparseRegularizer.builder().setExperts(16).build(),
                                        SigmaSchedule.builder()
                                                .setMax(10f)
                                                .setMin(1.5f)
                                                .setPower(0.3f)
                                                .setTotalSteps(10)
                                                .build())
                                .build(),
                m -> new NDList(floats(m, 1, new Shape(tokens, width))),
                m -> new NDList(floats(m, 2, new Shape(tokens, width))),
                () ->
                        MoeLoss.builder()
                                .setBaseLoss(Loss.l2Loss())
                                .optBalanceWeight(0.01f)
                                .optGroupSparseWeight(0.01f)
                                .build(),
                true);
    }

    /** A ViT-MoGE training step (inference-mode forward: no noise, dropout or drop path). */
    private static DeviceCheck vitMoge() {
        VisionPreset preset = VisionPreset.get("vit-moge-xs-fmnist");
        int batch = 2;
        return new DeviceCheck(
                "ViT-MoGE step",
                () -> preset.newModel(10),
                m -> new NDList(floats(m, 3, preset.inputShape(batch))),
                m -> new NDList(m.create(new float[] {1, preset.getClasses() - 1})),
                preset::newLoss,
                false);
    }

    /** An SMoGE language-model training step on a small configuration (inference-mode forward). */
    private static DeviceCheck smoge() {
        int vocabulary = 64;
        int batch = 2;
        int block = 8;
        LmPreset.Overrides small =
                LmPreset.Overrides.NONE.withLayers(1).withWidth(32).withHiddenSize(32).withSpan(8);
        LmPreset preset = LmPreset.SMOGE_SMALL;
        return new DeviceCheck(
                "SMoGE step",
                () -> preset.newModel(vocabulary, 10, small),
                m -> {
                    MoeTransformerLm lm = preset.newModel(vocabulary, 10, small);
                    NDList in = new NDList(tokens(m, 4, vocabulary, batch, block));
                    return in.addAll(lm.initialMemory(m, batch));
                },
                m -> new NDList(tokens(m, 5, vocabulary, batch, block)),
                () -> MoeLoss.builder().setBaseLoss(new TokenCrossEntropyLoss()).build(),
                false);
    }

    private static ai.djl.ndarray.NDArray floats(NDManager manager, long seed, Shape shape) {
        Random random = new Random(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }

    private static ai.djl.ndarray.NDArray tokens(
            NDManager manager, long seed, int vocabulary, int batch, int block) {
        Random random = new Random(seed);
        long[] values = new long[batch * block];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(vocabulary);
        }
        return manager.create(values, new Shape(batch, block));
    }

    /** {@return the first array with a non-finite value, or null} */
    static String nonFinite(Map<String, float[]> values) {
        for (Map.Entry<String, float[]> entry : values.entrySet()) {
            for (float v : entry.getValue()) {
                if (!Float.isFinite(v)) {
                    return entry.getKey() + " holds " + v;
                }
            }
        }
        return null;
    }

    /**
     * Compares a device's values with the CPU's.
     *
     * @return null if every array agrees within the tolerance, else the worst array and its error
     */
    static String compare(Map<String, float[]> cpu, Map<String, float[]> device) {
        if (!cpu.keySet().equals(device.keySet())) {
            return "the device produced other arrays: " + device.keySet();
        }
        String worst = null;
        double worstRatio = 1;
        for (Map.Entry<String, float[]> entry : cpu.entrySet()) {
            float[] a = entry.getValue();
            float[] b = device.get(entry.getKey());
            if (a.length != b.length) {
                return entry.getKey() + " has " + b.length + " values, not " + a.length;
            }
            double scale = 0;
            double error = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                double d = Math.abs((double) a[i] - b[i]);
                error = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(error, d);
            }
            double ratio = error / (RTOL * scale + ATOL);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst =
                        String.format(
                                Locale.ROOT,
                                "%s differs by up to %.3g (max |cpu| %.3g)",
                                entry.getKey(),
                                error,
                                scale);
            }
        }
        return worst;
    }

    private static String flavour() {
        try {
            return Platform.detectPlatform("pytorch").getFlavor();
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String memory(Device device) {
        try {
            MemoryUsage usage = CudaUtils.getGpuMemory(device);
            return String.format(
                    Locale.ROOT,
                    "%.1f GiB total, %.1f GiB in use",
                    usage.getMax() / (double) (1L << 30),
                    usage.getCommitted() / (double) (1L << 30));
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "memory unknown (" + e.getMessage() + ")";
        }
    }
}
