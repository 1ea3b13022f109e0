package io.github.moge.examples.invariance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.metrics.RegularizerPull;
import io.github.moge.core.testing.GroupSparseReference;
import io.github.moge.core.training.RegularizerGradientProbe;
import io.github.moge.core.training.TrainingStep;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.model.InvarianceModel;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gradient that training applies for lambda * L_gs in the invariance model, end to end: the
 * model, loss and batches the command builds, one step's forward and backward with and without the
 * regularizer from identical parameters, batch and noise, at a step well inside the sigma schedule.
 * The difference of the two gradients must be lambda times dL_gs/dW on the gate, with dL_gs/dW
 * taken by central differences of an independent float64 L_gs(softmax(x W)), and zero on the
 * experts and the classifier.
 */
class RegularizerGradientTest {

    private static final int TOTAL_STEPS = 60;
    private static final int STEP = 37;
    private static final int SEED = 7;

    @ParameterizedTest
    @EnumSource(InputNormalization.class)
    void gradientDifferenceIsLambdaTimesTheFiniteDifferenceOfLgs(InputNormalization normalization)
            throws Exception {
        assumeTrue(
                Files.isDirectory(Paths.get(FashionMnistDataset.SYSTEM_DATA_DIR))
                        || System.getenv(FashionMnistDataset.ENV_DATA_DIR) != null,
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        InvarianceSettings settings =
                new InvarianceSettings()
                        .trainLimit(1000)
                        .progress(false)
                        .inputNormalization(normalization);
        InvarianceExperiment experiment =
                new InvarianceExperiment(
                        settings, new PrintStream(OutputStream.nullOutputStream()));
        FashionMnistDataset train = experiment.load(Dataset.Usage.TRAIN);
        InvarianceModel model = experiment.newModel(true, TOTAL_STEPS);
        float lambda = experiment.newLoss(true).getGroupSparseWeight();
        assertEquals(4e-3f, lambda, "the paper's lambda, applied without an auxiliary factor");

        try (RegularizerGradientProbe probe =
                new RegularizerGradientProbe(
                        model.getBlock(), experiment.newLoss(true), SEED, new Shape(200, 784))) {
            probe.setScheduleStep(STEP);
            Batch batch =
                    experiment.trainingBatches(train).getBatch(probe.getManager(), SEED, 0, 0);
            RegularizerGradientProbe.Pass with =
                    probe.run(TrainingStep.STANDARD, batch.getData(), batch.getLabels(), true, 99);
            RegularizerGradientProbe.Pass without =
                    probe.run(TrainingStep.STANDARD, batch.getData(), batch.getLabels(), false, 99);

            // sigma is the scheduled value at this step: 10 - 8.5 (37/60)^0.3.
            double sigma = 10 - (10 - 1.5) * Math.pow((double) STEP / TOTAL_STEPS, 0.3);
            assertEquals(sigma, with.sigmas.get(0), 1e-5);

            String gate = null;
            for (String name : with.gradients.keySet()) {
                if (name.endsWith("router_gate")) {
                    gate = name;
                } else {
                    // Experts and classifier: L_gs depends on the router only.
                    assertArrayEquals(
                            without.gradients.get(name), with.gradients.get(name), 0.0, name);
                }
            }
            assertTrue(gate != null, "no router gate among " + with.gradients.keySet());

            double[][] x = with.routerInputs.get(0);
            double[][] w =
                    RegularizerGradientProbe.toMatrix(
                            probe.getModel().getBlock().getParameters().get(gate).getArray());
            int experts = w[0].length;
            double[] difference = RegularizerGradientProbe.difference(with, without, gate);
            TopographicMap map = model.getMap();
            double[][] logits = GroupSparseReference.logits(x, w);
            double largest = RegularizerGradientProbe.largest(difference);
            for (int index : sample(difference, x, experts)) {
                int i = index / experts;
                int j = index % experts;
                double expected =
                        lambda
                                * GroupSparseReference.gateDerivative(
                                        x, logits, i, j, 1e-6, map.rows(), map.cols(), 3, sigma);
                // The difference of two float32 gradients of the task's size: its rounding is about
                // 1e-7 of
                // the task gradient, up to a thousand times the regularizer's (measured: at most
                // 1e-3 of the
                // largest entry). A weight off by 1%, or a detached routing input, is far outside
                // this.
                assertEquals(
                        expected,
                        difference[index],
                        1e-4 * Math.abs(expected) + 3e-3 * largest,
                        "gate[" + i + "][" + j + "]");
            }

            // The diagnostic: the regularizer's share and the rest, as the two gradients give them.
            Map<String, Double> pull = with.pull;
            double share = RegularizerGradientProbe.norm(difference);
            assertEquals(share, pull.get(RegularizerPull.GS), 1e-3 * share);
            double task = RegularizerGradientProbe.norm(without.gradients.get(gate));
            assertEquals(task, pull.get(RegularizerPull.TASK), 1e-3 * task);
            assertEquals(pull.get(RegularizerPull.GS) / task, pull.get(RegularizerPull.PULL), 1e-3);
            System.out.printf(
                    "%s: |lambda dLgs/dW| %.4g, |task| %.4g, pull %.4g, loss %.6f vs %.6f%n",
                    normalization,
                    pull.get(RegularizerPull.GS),
                    task,
                    pull.get(RegularizerPull.PULL),
                    with.loss,
                    without.loss);
        }
    }

    /**
     * The 10 largest differences and 10 random gate entries whose input feature is not always zero.
     */
    private static List<Integer> sample(double[] difference, double[][] x, int experts) {
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < difference.length; k++) {
            order.add(k);
        }
        order.sort(Comparator.comparingDouble(k -> -Math.abs(difference[k])));
        List<Integer> picked = new ArrayList<>(order.subList(0, 10));
        Random random = new Random(5);
        while (picked.size() < 20) {
            int k = random.nextInt(difference.length);
            int feature = k / experts;
            boolean used = false;
            for (double[] token : x) {
                used |= token[feature] != 0;
            }
            if (used && !picked.contains(k)) {
                picked.add(k);
            }
        }
        return picked;
    }
}
