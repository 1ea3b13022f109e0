package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.loss.AbstractCompositeLoss;
import ai.djl.training.loss.Loss;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MoeLossTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private NDList predictions() {
        NDArray logits = manager.create(new float[][] {{2f, 0f, -1f}, {0f, 1f, 0f}});
        return new NDList(
                logits,
                AuxiliaryTerms.named(manager.create(2f), AuxiliaryTerms.BALANCE),
                AuxiliaryTerms.named(manager.create(3f), AuxiliaryTerms.GROUP_SPARSE),
                AuxiliaryTerms.named(manager.create(5f), AuxiliaryTerms.GROUP_SPARSE));
    }

    @Test
    void addsWeightedTermsOfAllLayersToTheBaseLoss() {
        NDList labels = new NDList(manager.create(new float[] {0f, 2f}));
        NDList predictions = predictions();
        float base =
                Loss.softmaxCrossEntropyLoss()
                        .evaluate(labels, new NDList(predictions.head()))
                        .getFloat();
        // Closed form of the mean cross-entropy for these logits.
        double ce0 = -Math.log(Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1)));
        double ce1 = -Math.log(1 / (2 + Math.E));
        assertEquals((ce0 + ce1) / 2, base, 1e-5);

        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                        .optBalanceWeight(0.01f)
                        .optGroupSparseWeight(0.5f)
                        .build();
        assertEquals(
                base + 0.01f * 2 + 0.5f * 8, loss.evaluate(labels, predictions).getFloat(), 1e-5);

        List<Loss> terms = loss.getTerms();
        assertEquals("SoftmaxCrossEntropyLoss", terms.get(0).getName());
        assertEquals(base, terms.get(0).evaluate(labels, predictions).getFloat(), 1e-6);
        assertEquals(0.02f, terms.get(1).evaluate(labels, predictions).getFloat(), 1e-6);
        assertEquals(4f, terms.get(2).evaluate(labels, predictions).getFloat(), 1e-6);

        // A DJL composite loss: a generic loop finds the same terms as its components.
        assertTrue(loss instanceof AbstractCompositeLoss);
        assertSame(terms, loss.getComponents());
        assertEquals(
                List.of("SoftmaxCrossEntropyLoss", "balance_loss", "group_sparse_loss"),
                loss.getComponents().stream().map(Loss::getName).toList());
    }

    @Test
    void missingTermsAndZeroWeightsContributeNothing() {
        NDList labels = new NDList(manager.create(new float[] {0f, 2f}));
        NDArray logits = predictions().head();
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                        .optGroupSparseWeight(1f)
                        .build();
        float base = Loss.softmaxCrossEntropyLoss().evaluate(labels, new NDList(logits)).getFloat();
        assertEquals(base, loss.evaluate(labels, new NDList(logits)).getFloat(), 1e-6);
        assertEquals(
                0f, loss.getTerms().get(2).evaluate(labels, new NDList(logits)).getFloat(), 0f);
        // balance weight 0: the balance entry is ignored.
        assertEquals(base + 8f, loss.evaluate(labels, predictions()).getFloat(), 1e-5);
    }

    @Test
    void accuracyReadsTheHead() {
        NDList labels = new NDList(manager.create(new float[] {0f, 2f}));
        Accuracy accuracy = new Accuracy();
        // One of the two rows is right: DJL's Accuracy.evaluate returns the count of correct rows.
        assertEquals(1L, accuracy.evaluate(labels, predictions()).getLong());
    }

    @Test
    void builderRejectsInvalidValues() {
        assertThrows(IllegalArgumentException.class, () -> MoeLoss.builder().build());
        assertThrows(IllegalArgumentException.class, () -> MoeLoss.builder().optBalanceWeight(-1f));
        assertThrows(
                IllegalArgumentException.class,
                () -> MoeLoss.builder().optGroupSparseWeight(Float.NaN));
    }
}
