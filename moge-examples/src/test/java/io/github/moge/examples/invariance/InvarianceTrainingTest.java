package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.training.dataset.Dataset;
import io.github.moge.vision.data.FashionMnistDataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** A short real training run of the MoGE model on a Fashion-MNIST subset. */
class InvarianceTrainingTest {

    @Test
    void oneEpochOnSixThousandImagesBeatsSixtyPercent() throws Exception {
        assumeTrue(
                Files.isDirectory(Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR))
                        || System.getenv(FashionMnistDataset.ENV_DATA_DIR) != null,
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        InvarianceSettings settings =
                new InvarianceSettings()
                        .epochs(1)
                        .trainLimit(6000)
                        .testLimit(1000)
                        // the mean-centred input spreads routing over ~50 experts in one epoch; raw
                        // pixels (the default) use ~8 and reach 0.57 here
                        // (docs/results-invariance.md)
                        .inputNormalization(InputNormalization.PIXEL)
                        .progress(false);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        InvarianceExperiment experiment =
                new InvarianceExperiment(
                        settings, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        FashionMnistDataset train = experiment.load(Dataset.Usage.TRAIN);
        FashionMnistDataset test = experiment.load(Dataset.Usage.TEST);
        assertEquals(6000, train.size());
        assertEquals(1000, test.size());

        ModelResult moge = experiment.trainAndEvaluate(true, train, test);
        String log = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(moge.testAccuracy() > 0.6, "test accuracy " + moge.testAccuracy() + "\n" + log);
        assertEquals(30, moge.steps());
        assertEquals(1, moge.epochs().size());
        EpochMetrics epoch = moge.epochs().get(0);
        assertTrue(epoch.trainGroupSparse() > 0, log);
        assertEquals(
                epoch.trainLoss(), epoch.trainCrossEntropy() + epoch.trainGroupSparse(), 1e-3, log);
        assertTrue(moge.activeExperts() > 1 && moge.activeExperts() <= 400, log);
        for (double d : moge.meanImed()) {
            assertTrue(d > 0 && Double.isFinite(d), log);
        }
        float sum = 0;
        for (float v : moge.classMaps()[3]) {
            sum += v;
        }
        assertEquals(1f, sum, 1e-3f, "a mean of softmax maps sums to one");
    }
}
