package io.github.moge.vision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.metrics.RegularizerPull;
import io.github.moge.core.training.RegularizerGradientProbe;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.preset.VisionPreset;
import io.github.moge.vision.transform.AugmentationPipeline;
import io.github.moge.vision.transform.Normalize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * The gradient that training applies for the group-sparse term in a ViT-MoGE with two MoGE layers,
 * end to end: the preset's model, the loss weights train-vision uses (0.01 balance, 0.01 * lambda
 * on L_gs), the vision training step with mixup/CutMix on real Fashion-MNIST, training noise on,
 * one step's forward and backward with and without the term at a step inside the sigma schedule.
 * The last MoGE layer's gate must receive exactly w * dL_gs/dW of the float64 reference by central
 * differences, its experts and everything after it nothing, and {@link RegularizerPull} must report
 * each layer's own share.
 */
class RegularizerGradientTest {

    private static final Path DATA = Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR);
    private static final String PRESET = "vit-moge-xs-fmnist";
    private static final int TOTAL_STEPS = 500;
    private static final int STEP = 123;
    private static final int BATCH = 16;

    @Test
    void lastLayerGateGetsWeightTimesTheFiniteDifferenceOfLgs() throws Exception {
        assumeTrue(
                Files.isRegularFile(DATA.resolve("train-images-idx3-ubyte.gz"))
                        || Files.isRegularFile(DATA.resolve("train-images-idx3-ubyte")),
                "Fashion-MNIST not installed");
        FashionMnistDataset train =
                FashionMnistDataset.builder().optDataDir(DATA).setSampling(1, false).build();
        train.prepare();
        VisionPreset preset = VisionPreset.get(PRESET);
        // train-vision's weights, 0.01 on the balance term and 0.01 * lambda on L_gs, at 100 times
        // the preset's
        // lambda: with 16 images the preset's term moves the float32 gate gradient by little more
        // than its
        // rounding (0.5% errors on single entries), and the term is linear in the weight.
        assertEquals(VisionPreset.AUX_WEIGHT * preset.getLambda(), preset.effectiveLambda(), 1e-12);
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(new SoftTargetCrossEntropyLoss("ce", 0f))
                        .optBalanceWeight(VisionPreset.AUX_WEIGHT)
                        .optGroupSparseWeight(100 * preset.effectiveLambda())
                        .build();
        AugmentationPipeline augmentation =
                AugmentationPipeline.builder()
                        .optPadTo(32)
                        .optNormalize(Normalize.FASHION_MNIST_MEAN, Normalize.FASHION_MNIST_STD)
                        .optMixupCutmix(0.8f, 1.0f)
                        .optLabelSmoothing(0.1f)
                        .optNumClasses(10)
                        .optSeed(3)
                        .build();

        try (RegularizerGradientProbe probe =
                new RegularizerGradientProbe(
                        preset.newModel(TOTAL_STEPS), loss, 5, new Shape(BATCH, 1, 32, 32))) {
            probe.setScheduleStep(STEP);
            Batch batch =
                    ImageBatches.builder()
                            .setData(train)
                            .setBatchSize(BATCH)
                            .build()
                            .getBatch(probe.getManager(), 5, 0, 0);
            AugmentedTrainingStep step = new AugmentedTrainingStep(augmentation);
            RegularizerGradientProbe.Pass with =
                    probe.run(step, batch.getData(), batch.getLabels(), true, 17);
            RegularizerGradientProbe.Pass without =
                    probe.run(step, batch.getData(), batch.getLabels(), false, 17);

            assertEquals(2, probe.mogeBlocks().size(), "the preset has two MoGE layers");
            assertEquals(
                    BATCH * 17L,
                    with.routerInputs.get(1).length,
                    "16 patches and a class token per image");
            double sigma = 10 - (10 - 1.5) * Math.pow((double) STEP / TOTAL_STEPS, 0.3);
            probe.assertGroupSparseGradients(with, without, loss.getGroupSparseWeight(), sigma);
            System.out.printf(
                    "%s: |w dLgs/dW| %.4g, |rest| %.4g, pull %.4g%n",
                    PRESET,
                    with.pull.get(RegularizerPull.GS),
                    with.pull.get(RegularizerPull.TASK),
                    with.pull.get(RegularizerPull.PULL));
        }
    }
}
