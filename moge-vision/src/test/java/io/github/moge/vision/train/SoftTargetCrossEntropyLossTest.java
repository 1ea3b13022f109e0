package io.github.moge.vision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import org.junit.jupiter.api.Test;

class SoftTargetCrossEntropyLossTest {

    @Test
    void hardLabelsWithAndWithoutSmoothing() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2, 0, 0, 0, 1, 3}, new Shape(2, 3));
            NDArray labels = m.create(new float[] {0, 1});
            double[][] logp = new double[2][3];
            double[][] z = {{2, 0, 0}, {0, 1, 3}};
            for (int i = 0; i < 2; i++) {
                double lse = Math.log(Math.exp(z[i][0]) + Math.exp(z[i][1]) + Math.exp(z[i][2]));
                for (int k = 0; k < 3; k++) {
                    logp[i][k] = z[i][k] - lse;
                }
            }
            double plain = -(logp[0][0] + logp[1][1]) / 2;
            float got =
                    new SoftTargetCrossEntropyLoss("ce", 0f)
                            .evaluate(new NDList(labels), new NDList(logits))
                            .getFloat();
            assertEquals(plain, got, 1e-5);
            // DJL's SoftmaxCrossEntropyLoss agrees (it also averages over the batch).
            assertEquals(
                    plain,
                    Loss.softmaxCrossEntropyLoss()
                            .evaluate(new NDList(labels), new NDList(logits))
                            .getFloat(),
                    1e-5);
            double eps = 0.1;
            double smoothed = 0;
            int[] y = {0, 1};
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 3; k++) {
                    double t = (k == y[i] ? 1 - eps : 0) + eps / 3;
                    smoothed -= t * logp[i][k];
                }
            }
            smoothed /= 2;
            float gotSmooth =
                    new SoftTargetCrossEntropyLoss("ce", 0.1f)
                            .evaluate(new NDList(labels), new NDList(logits))
                            .getFloat();
            assertEquals(smoothed, gotSmooth, 1e-5);
            // Equivalent form (1 - eps) * NLL + eps * mean(-log p).
            double alt = 0;
            for (int i = 0; i < 2; i++) {
                alt +=
                        (1 - eps) * -logp[i][y[i]]
                                + eps * -(logp[i][0] + logp[i][1] + logp[i][2]) / 3;
            }
            assertEquals(alt / 2, gotSmooth, 1e-5);
            // Uniform logits: log K whatever the target.
            assertEquals(
                    Math.log(3),
                    new SoftTargetCrossEntropyLoss("ce", 0.3f)
                            .evaluate(new NDList(labels), new NDList(m.zeros(new Shape(2, 3))))
                            .getFloat(),
                    1e-6);
        }
    }

    @Test
    void softLabelsAreUsedAsGiven() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {1, 2, 3}, new Shape(1, 3));
            NDArray soft = m.create(new float[] {0.2f, 0.3f, 0.5f}, new Shape(1, 3));
            double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
            double expected = -(0.2 * (1 - lse) + 0.3 * (2 - lse) + 0.5 * (3 - lse));
            // Smoothing does not apply to soft targets.
            assertEquals(
                    expected,
                    new SoftTargetCrossEntropyLoss("ce", 0.1f)
                            .evaluate(new NDList(soft), new NDList(logits))
                            .getFloat(),
                    1e-5);
        }
    }
}
