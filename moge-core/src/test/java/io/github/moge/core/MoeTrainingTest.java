package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import io.github.moge.core.balance.ImportanceLoadLoss;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tiny MoGE classifier trained end to end with DJL's trainer: the loss must fall and accuracy
 * rise.
 */
class MoeTrainingTest {

    @Test
    void tinyMogeModelLearnsGaussianClusters() throws IOException, TranslateException {
        Engine.getInstance().setRandomSeed(5);
        int classes = 4;
        int width = 8;
        int samples = 512;
        int batch = 32;
        int epochs = 8;
        int stepsPerEpoch = samples / batch;
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("tiny-moge")) {
            NDArray centres =
                    manager.randomNormal(
                            0, 2, new Shape(classes, width), ai.djl.ndarray.types.DataType.FLOAT32);
            NDArray labels =
                    manager.randomInteger(
                            0, classes, new Shape(samples), ai.djl.ndarray.types.DataType.INT64);
            NDArray x =
                    centres.get(labels)
                            .add(
                                    manager.randomNormal(
                                            0,
                                            0.7f,
                                            new Shape(samples, width),
                                            ai.djl.ndarray.types.DataType.FLOAT32));
            ArrayDataset data =
                    new ArrayDataset.Builder()
                            .setData(x)
                            .optLabels(labels.toType(ai.djl.ndarray.types.DataType.FLOAT32, false))
                            .setSampling(batch, true)
                            .build();

            SigmaSchedule schedule =
                    SigmaSchedule.builder()
                            .setMax(10f)
                            .setMin(1.5f)
                            .setPower(0.3f)
                            .setTotalSteps(epochs * stepsPerEpoch)
                            .build();
            MoeBlock moge =
                    MoeBlock.builder()
                            .setExperts(9)
                            .setHiddenSize(16)
                            .optTrainingNoise(true)
                            .optCapacityFactor(2f)
                            .optBalanceLoss(ImportanceLoadLoss.builder().build())
                            .optRegularizer(
                                    GroupSparseRegularizer.builder().setExperts(9).build(),
                                    schedule)
                            .build();
            // As in a Transformer block, a residual connection carries the tokens the layer drops
            // at
            // capacity; the join keeps the MoE layer's auxiliary terms.
            ParallelBlock residual =
                    new ParallelBlock(
                            outputs ->
                                    new NDList(outputs.get(0).head().add(outputs.get(1).head()))
                                            .addAll(AuxiliaryTerms.of(outputs.get(1))),
                            List.of(Blocks.identityBlock(), moge));
            model.setBlock(
                    new MoeSequentialBlock()
                            .add(Linear.builder().setUnits(16).build())
                            .add(residual)
                            .add(Linear.builder().setUnits(classes).build()));

            MoeLoss loss =
                    MoeLoss.builder()
                            .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                            .optBalanceWeight(0.01f)
                            .optGroupSparseWeight(0.01f)
                            .build();
            SigmaScheduleListener sigma = new SigmaScheduleListener();
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(loss)
                            .optOptimizer(
                                    Optimizer.adam()
                                            .optLearningRateTracker(Tracker.fixed(1e-2f))
                                            .build())
                            .addEvaluator(new Accuracy())
                            .addTrainingListeners(TrainingListener.Defaults.basic())
                            .addTrainingListeners(sigma);
            loss.getTerms().forEach(config::addEvaluator);

            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch, width));
                EasyTrain.fit(trainer, 1, data, null);
                float firstLoss = trainer.getTrainingResult().getTrainLoss();
                EasyTrain.fit(trainer, epochs - 1, data, null);
                float lastLoss = trainer.getTrainingResult().getTrainLoss();
                Map<String, Float> evaluations = trainer.getTrainingResult().getEvaluations();

                assertTrue(lastLoss < 0.5f * firstLoss, "loss " + firstLoss + " -> " + lastLoss);
                assertTrue(evaluations.get("train_Accuracy") > 0.9f, evaluations.toString());
                assertTrue(evaluations.get("train_group_sparse_loss") > 0f, evaluations.toString());
                assertTrue(evaluations.get("train_balance_loss") >= 0f, evaluations.toString());
                assertEquals(epochs * stepsPerEpoch, sigma.getStep());
                assertEquals(epochs * stepsPerEpoch, moge.getScheduleStep());
                assertEquals(1.5f, moge.getSigma(), 1e-6);

                NDList out = trainer.evaluate(new NDList(x));
                float accuracy =
                        out.head()
                                .argMax(1)
                                .eq(labels)
                                .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                                .mean()
                                .getFloat();
                assertTrue(accuracy > 0.9f, "accuracy " + accuracy);
            }
        }
    }
}
