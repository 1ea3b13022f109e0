package io.github.moge.vision.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import io.github.moge.core.MoeLoss;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.preset.VisionPreset;
import io.github.moge.vision.transform.AugmentationPipeline;
import io.github.moge.vision.transform.Normalize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance (issue 4): a real training run on Fashion-MNIST padded to 32 px with the small
 * ViT-MoGE and SwinV2-MoGE presets beats 70% test accuracy, each in well under two minutes on a
 * 2-core CPU (one epoch over a seeded subset of 5000 training images, batch 32, evaluated on the
 * first 1000 test images; it prints wall and process CPU time). Skipped when the data is not
 * installed.
 */
class FashionMnistAcceptanceTest {

    @TempDir Path dir;

    static final Path DATA = Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR);

    private static boolean dataPresent() {
        return Files.isRegularFile(DATA.resolve("train-images-idx3-ubyte.gz"))
                || Files.isRegularFile(DATA.resolve("train-images-idx3-ubyte"));
    }

    static List<EpochMetrics> train(String presetName, Path out, int trainLimit, int epochs)
            throws IOException {
        VisionPreset preset = VisionPreset.get(presetName);
        FashionMnistDataset train =
                FashionMnistDataset.builder()
                        .optDataDir(DATA)
                        .optAllowDownload(false)
                        .setSampling(1, false)
                        .build();
        FashionMnistDataset test =
                FashionMnistDataset.builder()
                        .optDataDir(DATA)
                        .optAllowDownload(false)
                        .optUsage(Dataset.Usage.TEST)
                        .setSampling(1, false)
                        .build();
        train.prepare();
        test.prepare();
        TrainingSettings settings =
                TrainingSettings.builder()
                        .setEpochs(epochs)
                        .optBatchSize(32)
                        .optEvalBatchSize(250)
                        .optLearningRate(2e-3f)
                        .optWarmupEpochs(0.15f)
                        .optWeightDecay(0.05f)
                        .optClipGradNorm(1f)
                        .optTrainLimit(trainLimit)
                        .optTestLimit(1000)
                        .optSeed(7)
                        .optProgress(false)
                        .build();
        int total = epochs * VisionTrainer.stepsPerEpoch(train.size(), settings);
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(new SoftTargetCrossEntropyLoss("ce", 0f))
                        .optBalanceWeight(VisionPreset.AUX_WEIGHT)
                        .optGroupSparseWeight(preset.effectiveLambda())
                        .build();
        AugmentationPipeline aug =
                AugmentationPipeline.builder()
                        .optPadTo(32)
                        .optFlip(0.5f)
                        .optNormalize(Normalize.FASHION_MNIST_MEAN, Normalize.FASHION_MNIST_STD)
                        .optSeed(7)
                        .build();
        return VisionTrainer.builder()
                .setBlock(preset.newModel(total))
                .setLoss(loss)
                .setData(train, test)
                .setAugmentation(aug)
                .setInputShape(new Shape(1, 32, 32))
                .setSettings(settings)
                .optDevice(Device.cpu())
                .build()
                .run(out);
    }

    private void check(String preset, int trainLimit, int epochs) throws IOException {
        assumeTrue(dataPresent(), "Fashion-MNIST not installed in " + DATA);
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        List<EpochMetrics> history = train(preset, dir.resolve(preset), trainLimit, epochs);
        double seconds = (System.nanoTime() - t0) / 1e9;
        EpochMetrics last = history.get(history.size() - 1);
        double cpu = (processCpuNanos() - cpu0) / 1e9;
        System.out.printf(
                "%s: Acc@1 %.2f%% Acc@5 %.2f%% in %.1f s wall, %.1f s process CPU%n",
                preset, 100 * last.getAcc1(), 100 * last.getAcc5(), seconds, cpu);
        assertTrue(last.getAcc1() > 0.70, preset + " reached only " + last.getAcc1());
        assertTrue(last.getGroupSparse() > 0, "the MoGE regularizer contributed to the loss");
        assertTrue(Files.isRegularFile(dir.resolve(preset).resolve("epochs.csv")));
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime()
                : 0L;
    }

    @Test
    void vitMogeBeats70Percent() throws IOException {
        check("vit-moge-xs-fmnist", 5000, 2);
    }

    @Test
    void swinV2MogeBeats70Percent() throws IOException {
        check("swinv2-moge-xs-fmnist", 5000, 1);
    }
}
