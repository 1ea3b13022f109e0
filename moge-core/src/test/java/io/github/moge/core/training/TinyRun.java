package io.github.moge.core.training;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.WarmUpTracker;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.MoeSequentialBlock;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.core.training.data.ShuffledBatches;
import io.github.moge.core.training.optim.StatefulAdamW;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A tiny MoGE classifier (9 experts, noisy routing, capacity, balance loss, L_gs with a sigma
 * schedule, AdamW with warm-up + cosine) on Gaussian clusters: small enough for tests, with every
 * source of state a resume must restore.
 */
final class TinyRun implements AutoCloseable {

    static final int WIDTH = 8;
    static final int CLASSES = 4;
    static final int SAMPLES = 96;
    static final int BATCH = 16;
    static final int EPOCHS = 3;
    static final long SEED = 11;

    final NDManager dataManager = NDManager.newBaseManager();
    final Model model = Model.newInstance("tiny");
    final SigmaScheduleListener sigma = new SigmaScheduleListener();
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final TrainingRun.Builder builder;

    TinyRun() {
        this(true);
    }

    /**
     * Creates the run.
     *
     * @param cadence whether the builder sets a checkpoint every 4 steps (otherwise it leaves the
     *     cadence unset, as a resume that does not repeat it)
     */
    TinyRun(boolean cadence) {
        this(cadence, 16);
    }

    /**
     * Creates the run with another width of the first layer (a model that a checkpoint of the
     * standard one does not fit).
     *
     * @param cadence as in {@link #TinyRun(boolean)}
     * @param hidden the units of the first layer (16 in the standard run)
     */
    TinyRun(boolean cadence, int hidden) {
        // The data are the same in every instance: drawn from a fixed-seed Java RNG, not the
        // engine.
        java.util.Random random = new java.util.Random(3);
        float[] x = new float[SAMPLES * WIDTH];
        float[] y = new float[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            int label = i % CLASSES;
            y[i] = label;
            for (int j = 0; j < WIDTH; j++) {
                x[i * WIDTH + j] = (j % CLASSES == label ? 2f : 0f) + (float) random.nextGaussian();
            }
        }
        NDArray data = dataManager.create(x, new Shape(SAMPLES, WIDTH));
        NDArray labels = dataManager.create(y);
        ArrayDataset dataset =
                new ArrayDataset.Builder()
                        .setData(data)
                        .optLabels(labels)
                        .setSampling(BATCH, false)
                        .build();
        int steps = EPOCHS * SAMPLES / BATCH;
        SigmaSchedule schedule =
                SigmaSchedule.builder()
                        .setMax(10f)
                        .setMin(1.5f)
                        .setPower(0.3f)
                        .setTotalSteps(steps)
                        .build();
        MoeBlock moge =
                MoeBlock.builder()
                        .setExperts(9)
                        .setHiddenSize(8)
                        .optTrainingNoise(true)
                        .optCapacityFactor(2f)
                        .optBalanceLoss(ImportanceLoadLoss.builder().build())
                        .optRegularizer(
                                GroupSparseRegularizer.builder().setExperts(9).build(), schedule)
                        .build();
        model.setBlock(
                new MoeSequentialBlock()
                        .add(Linear.builder().setUnits(hidden).build())
                        .add(moge)
                        .add(Linear.builder().setUnits(CLASSES).build()));
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                        .optBalanceWeight(0.01f)
                        .optGroupSparseWeight(0.01f)
                        .build();
        WarmUpTracker lr =
                WarmUpTracker.builder()
                        .setMainTracker(
                                CosineTracker.builder()
                                        .setBaseValue(1e-2f)
                                        .optFinalValue(0f)
                                        .setMaxUpdates(steps - 3)
                                        .build())
                        .optWarmUpSteps(3)
                        .optWarmUpBeginValue(0f)
                        .build();
        builder =
                TrainingRun.builder()
                        .setModel(model)
                        .setLoss(loss)
                        .setOptimizer(
                                StatefulAdamW.builder()
                                        .optLearningRateTracker(lr)
                                        .optWeightDecays(0.05f)
                                        .build())
                        .setTrainingData(
                                ShuffledBatches.builder()
                                        .setDataset(dataset)
                                        .setBatchSize(BATCH)
                                        .build())
                        .optValidationData(
                                ShuffledBatches.builder()
                                        .setDataset(dataset)
                                        .setBatchSize(32)
                                        .optShuffle(false)
                                        .build())
                        .addEvaluator(new Accuracy())
                        .addListener(sigma)
                        .setInputShapes(new Shape(BATCH, WIDTH))
                        .setEpochs(EPOCHS)
                        .setSeed(SEED)
                        .optConfiguration(
                                RunConfiguration.of(Map.of("model", "tiny", "epochs", EPOCHS)))
                        .optClipGradNorm(1f)
                        .optProgressEvery(0)
                        .optLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        if (cadence) {
            builder.optCheckpointEvery(4);
        }
    }

    String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        model.close();
        dataManager.close();
    }
}
