package io.github.moge.core;

import static io.github.moge.core.testing.GcHostileGradients.assertGcIndependent;
import static io.github.moge.core.testing.GcHostileGradients.meanOfHead;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.core.balance.SwitchLoss;
import io.github.moge.core.routing.RoutingOrder;
import org.junit.jupiter.api.Test;

/**
 * Gradients of the MoE layer, its losses and the regularizer are the same whether or not the JVM
 * collects garbage between forward and backward (see {@link
 * io.github.moge.core.testing.GcHostileGradients}).
 */
class GcIndependentGradientsTest {

    private static MoeBlock.Builder moge(int experts) {
        return MoeBlock.builder()
                .setExperts(experts)
                .setHiddenSize(12)
                .optRegularizer(
                        GroupSparseRegularizer.builder().setExperts(experts).build(),
                        SigmaSchedule.VISION.over(100));
    }

    private static void check(MoeBlock block) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            Shape shape = new Shape(4, 8, 6);
            block.initialize(manager, DataType.FLOAT32, shape);
            NDArray x = manager.randomNormal(shape);
            assertGcIndependent(block, manager, meanOfHead(block, m -> new NDList(x.duplicate())));
        }
    }

    @Test
    void visionMogeLayer() {
        check(
                moge(16).optTopK(2)
                        .optCapacityFactor(1.05f)
                        .optBalanceLoss(new ImportanceLoadLoss())
                        .build());
    }

    @Test
    void droplessLanguageModelLayer() {
        check(
                moge(16).optTopK(2)
                        .optRoutingOrder(RoutingOrder.TOPK_THEN_SOFTMAX)
                        .optBalanceLoss(new SwitchLoss())
                        .build());
    }

    @Test
    void moeLossWeightsItsTerms() {
        MoeBlock block = moge(9).optBalanceLoss(new SwitchLoss()).build();
        // DJL's SoftmaxCrossEntropyLoss multiplies by its weight only when it is not 1 (L2Loss
        // always
        // multiplies by a Number, so it is not safe to train with on CPU).
        Loss loss =
                MoeLoss.builder()
                        .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                        .optBalanceWeight(0.01f)
                        .optGroupSparseWeight(0.3f)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(3, 5, 6);
            block.initialize(manager, DataType.FLOAT32, shape);
            NDArray x = manager.randomNormal(shape);
            NDArray y =
                    manager.randomInteger(0, 6, new Shape(15), DataType.INT64)
                            .toType(DataType.FLOAT32, false);
            assertGcIndependent(
                    block,
                    manager,
                    (store, m) -> {
                        NDList out = block.forward(store, new NDList(x.duplicate()), true);
                        NDList logits =
                                new NDList(
                                        out.head().reshape(15, 6)); // 15 tokens as 6-class logits
                        logits.addAll(out.subList(1, out.size()));
                        return loss.evaluate(new NDList(y.duplicate()), logits);
                    });
        }
    }
}
