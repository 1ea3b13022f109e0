package io.github.moge.vision.train;

import static io.github.moge.core.testing.RunFiles.epochRows;
import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.preset.VisionPreset;
import io.github.moge.vision.transform.AugmentationPipeline;
import io.github.moge.vision.transform.Normalize;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vision run (ViT-MoGE on real Fashion-MNIST, with every random augmentation on: crop, flip,
 * colour jitter, random erasing, mixup/CutMix with label smoothing) interrupted mid-epoch and
 * resumed from its last checkpoint reproduces the uninterrupted run bit for bit: every step's loss,
 * components, gradient norm and learning rate, the epoch means, the test accuracies and the final
 * parameters.
 */
class VisionTrainerResumeTest {

    static final Path DATA = Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR);
    static final String PRESET = "vit-moge-xs-fmnist";
    static final int EPOCHS = 2;
    static final int BATCH = 16;
    static final int TRAIN_LIMIT = 96; // 6 steps per epoch

    static FashionMnistDataset train;
    static FashionMnistDataset test;

    @TempDir Path temp;

    @BeforeAll
    static void load() throws IOException {
        assumeTrue(
                Files.isRegularFile(DATA.resolve("train-images-idx3-ubyte.gz"))
                        || Files.isRegularFile(DATA.resolve("train-images-idx3-ubyte")),
                "Fashion-MNIST not installed");
        train = FashionMnistDataset.builder().optDataDir(DATA).setSampling(1, false).build();
        test =
                FashionMnistDataset.builder()
                        .optDataDir(DATA)
                        .optUsage(Dataset.Usage.TEST)
                        .setSampling(1, false)
                        .build();
        train.prepare();
        test.prepare();
    }

    private static VisionTrainer trainer(Consumer<TrainingRun.Builder> runOptions) {
        VisionPreset preset = VisionPreset.get(PRESET);
        TrainingSettings settings =
                TrainingSettings.builder()
                        .setEpochs(EPOCHS)
                        .optBatchSize(BATCH)
                        .optEvalBatchSize(50)
                        .optLearningRate(2e-3f)
                        .optWarmupEpochs(0.5f)
                        .optClipGradNorm(1f)
                        .optTrainLimit(TRAIN_LIMIT)
                        .optTestLimit(100)
                        .optSeed(11)
                        .optProgress(false)
                        .build();
        int total = EPOCHS * VisionTrainer.stepsPerEpoch(train.size(), settings);
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(new SoftTargetCrossEntropyLoss("ce", 0f))
                        .optBalanceWeight(VisionPreset.AUX_WEIGHT)
                        .optGroupSparseWeight(preset.effectiveLambda())
                        .build();
        AugmentationPipeline augmentation =
                AugmentationPipeline.builder()
                        .optPadTo(32)
                        .optRandomCrop(4)
                        .optFlip(0.5f)
                        .optColorJitter(0.4f)
                        .optNormalize(Normalize.FASHION_MNIST_MEAN, Normalize.FASHION_MNIST_STD)
                        .optRandomErasing(0.5f)
                        .optMixupCutmix(0.8f, 1.0f)
                        .optLabelSmoothing(0.1f)
                        .optNumClasses(10)
                        .optSeed(11)
                        .build();
        return VisionTrainer.builder()
                .setBlock(preset.newModel(total))
                .setLoss(loss)
                .setData(train, test)
                .setAugmentation(augmentation)
                .setInputShape(new Shape(1, 32, 32))
                .setSettings(settings)
                .optDevice(Device.cpu())
                .optRunOptions(runOptions)
                .optLog(new PrintStream(new ByteArrayOutputStream()))
                .build();
    }

    private static byte[] finalParameters(Path run) throws IOException {
        try (Stream<Path> checkpoints = Files.list(run.resolve("checkpoints"))) {
            Path last =
                    checkpoints
                            .filter(p -> p.getFileName().toString().startsWith("step-"))
                            .sorted()
                            .reduce((a, b) -> b)
                            .orElseThrow();
            return Files.readAllBytes(last.resolve("model-0000.params"));
        }
    }

    @Test
    void interruptedRunResumesBitForBit() throws IOException {
        Path straight = temp.resolve("straight");
        List<EpochMetrics> expected = trainer(b -> b.optCheckpointEvery(4)).run(straight);
        assertEquals(EPOCHS, expected.size());
        assertEquals(
                EPOCHS * TRAIN_LIMIT / BATCH + 1,
                stepRows(straight).size(),
                "a header and one row per step");

        // Killed during step 9 (epoch 2, batch 4): the last checkpoint is step 8, so step 8 is
        // replayed.
        Path killed = temp.resolve("killed");
        VisionTrainer crashing =
                trainer(
                        b ->
                                b.optCheckpointEvery(4)
                                        .addStepListener(
                                                r -> {
                                                    if (r.getStep() == 9) {
                                                        throw new IllegalStateException(
                                                                "simulated kill during step 9");
                                                    }
                                                }));
        assertThrows(IllegalStateException.class, () -> crashing.run(killed));
        assertEquals(
                1, epochRows(killed).size() - 1, "only the first epoch finished before the kill");

        VisionTrainer resuming = trainer(b -> b.optCheckpointEvery(4));
        List<EpochMetrics> resumed = resuming.resume(killed);
        assertEquals(
                8, resuming.getSummary().getStartStep(), "resumed from the checkpoint of step 8");
        assertTrue(resuming.getSummary().isCompleted());

        assertEquals(stepRows(straight), stepRows(killed));
        assertEquals(epochRows(straight), epochRows(killed));
        assertEquals(expected.get(1).getAcc1(), resumed.get(1).getAcc1());
        assertEquals(expected.get(1).getLoss(), resumed.get(1).getLoss());
        assertArrayEquals(finalParameters(straight), finalParameters(killed));
        // The run learned something and used its regularizer: not a vacuous comparison.
        assertTrue(expected.get(1).getGroupSparse() > 0);
        assertFalse(Double.isNaN(expected.get(1).getAcc1()));
    }

    @Test
    void augmentationDependsOnlyOnTheStepSeed() {
        AugmentationPipeline augmentation =
                AugmentationPipeline.builder()
                        .optPadTo(32)
                        .optRandomCrop(4)
                        .optFlip(0.5f)
                        .optColorJitter(0.4f)
                        .optMixupCutmix(0.8f, 1.0f)
                        .optNumClasses(10)
                        .optSeed(3)
                        .build();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            long[] idx = {0, 1, 2, 3};
            NDList first = augmentation.train(train.getImages(m, idx), train.getLabels(m, idx), 77);
            augmentation.train(
                    train.getImages(m, idx), train.getLabels(m, idx), 78); // another step between
            NDList again = augmentation.train(train.getImages(m, idx), train.getLabels(m, idx), 77);
            assertArrayEquals(first.get(0).toFloatArray(), again.get(0).toFloatArray(), 0f);
            assertArrayEquals(first.get(1).toFloatArray(), again.get(1).toFloatArray(), 0f);
            NDList other = augmentation.train(train.getImages(m, idx), train.getLabels(m, idx), 78);
            assertFalse(
                    java.util.Arrays.equals(
                            first.get(0).toFloatArray(), other.get(0).toFloatArray()));
        }
    }
}
