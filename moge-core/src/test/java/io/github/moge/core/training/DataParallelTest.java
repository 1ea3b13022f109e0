package io.github.moge.core.training;

import static io.github.moge.core.testing.RunFiles.stepRows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.MoeSequentialBlock;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.training.data.ShuffledBatches;
import io.github.moge.core.training.optim.StatefulAdamW;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data parallel on the one CPU device the engine allows: a batch split into two (and three, uneven)
 * replicas trains the same parameters as the whole batch in one piece, and a split run resumes
 * exactly.
 */
class DataParallelTest {

    /**
     * Float32 tolerance on the parameters after 12 AdamW steps: the replicas sum their gradients in
     * another order than one matrix product does, and Adam's normalisation can amplify a rounding
     * difference of a near-zero gradient up to about the learning rate times 1e-3.
     */
    static final float TOLERANCE = 2e-5f;

    @TempDir Path temp;

    @Test
    void twoReplicasTrainTheParametersOfOneBatch() throws IOException {
        List<float[]> whole = train(1, temp.resolve("one"));
        List<float[]> two = train(2, temp.resolve("two"));
        List<float[]> three = train(3, temp.resolve("three"));
        assertEquals(whole.size(), two.size());
        float moved = 0;
        for (int i = 0; i < whole.size(); i++) {
            assertArrayEquals(whole.get(i), two.get(i), TOLERANCE, "parameter " + i + ", 2");
            assertArrayEquals(whole.get(i), three.get(i), TOLERANCE, "parameter " + i + ", 3");
        }
        // The comparison means something only if training moved the parameters.
        List<float[]> initial = train(1, temp.resolve("none"), 0);
        for (int i = 0; i < whole.size(); i++) {
            for (int j = 0; j < whole.get(i).length; j++) {
                moved = Math.max(moved, Math.abs(whole.get(i)[j] - initial.get(i)[j]));
            }
        }
        assertTrue(moved > 100 * TOLERANCE, "largest parameter change " + moved);
    }

    @Test
    void theDevicesAreRecordedInTheConfiguration() throws IOException {
        Path run = temp.resolve("run");
        train(2, run);
        String config = Files.readString(run.resolve("config.json"));
        assertTrue(config.contains("\"devices\": \"cpu\""), config);
    }

    @Test
    void aSplitRunResumesExactly() throws IOException {
        Path straight = temp.resolve("straight");
        List<float[]> expected;
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.optReplicas(2).build().run(straight);
            expected = TrainingRunResumeTest.parameters(tiny);
        }
        Path interrupted = temp.resolve("interrupted");
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun run =
                    tiny.builder
                            .optReplicas(2)
                            .addStepListener(
                                    r -> {
                                        if (r.getStep() == 9) {
                                            throw new IllegalStateException("kill");
                                        }
                                    })
                            .build();
            assertThrows(IllegalStateException.class, () -> run.run(interrupted));
        }
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.optReplicas(2).build().resume(interrupted);
            assertEquals(stepRows(straight), stepRows(interrupted));
            List<float[]> actual = TrainingRunResumeTest.parameters(tiny);
            for (int i = 0; i < actual.size(); i++) {
                assertArrayEquals(expected.get(i), actual.get(i), 0f, "parameter " + i);
            }
        }
    }

    @Test
    void aModelOffTheFirstDeviceAndRepeatedDevicesAreRefused() {
        try (TinyRun tiny = new TinyRun()) {
            IllegalArgumentException twice =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    tiny.builder
                                            .optDevices(
                                                    Engine.getInstance().defaultDevice(),
                                                    Engine.getInstance().defaultDevice())
                                            .build());
            assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        }
    }

    private static List<float[]> train(int replicas, Path dir) throws IOException {
        return train(replicas, dir, 2);
    }

    /**
     * Trains a MoGE classifier without routing noise, capacity or balance loss (the parts that are
     * per slice by design) but with the group-sparse term, a sum over tokens that every replica
     * contributes to, under a sigma schedule.
     */
    private static List<float[]> train(int replicas, Path dir, int epochs) throws IOException {
        int width = 8;
        int classes = 4;
        int samples = 96;
        int batch = 16;
        Random random = new Random(3);
        float[] x = new float[samples * width];
        float[] y = new float[samples];
        for (int i = 0; i < samples; i++) {
            y[i] = i % classes;
            for (int j = 0; j < width; j++) {
                x[i * width + j] =
                        (j % classes == i % classes ? 2f : 0f) + (float) random.nextGaussian();
            }
        }
        try (NDManager data = NDManager.newBaseManager();
                Model model = Model.newInstance("parallel")) {
            NDArray features = data.create(x, new Shape(samples, width));
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(features)
                            .optLabels(data.create(y))
                            .setSampling(batch, false)
                            .build();
            int steps = Math.max(1, epochs) * samples / batch;
            SigmaSchedule schedule =
                    SigmaSchedule.builder()
                            .setMax(10f)
                            .setMin(1.5f)
                            .setPower(0.3f)
                            .setTotalSteps(steps)
                            .build();
            model.setBlock(
                    new MoeSequentialBlock()
                            .add(Linear.builder().setUnits(16).build())
                            .add(
                                    MoeBlock.builder()
                                            .setExperts(9)
                                            .setHiddenSize(8)
                                            .optRegularizer(
                                                    GroupSparseRegularizer.builder()
                                                            .setExperts(9)
                                                            .build(),
                                                    schedule)
                                            .build())
                            .add(Linear.builder().setUnits(classes).build()));
            MoeLoss loss =
                    MoeLoss.builder()
                            .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                            .optGroupSparseWeight(0.05f)
                            .build();
            TrainingRun run =
                    TrainingRun.builder()
                            .setModel(model)
                            .setLoss(loss)
                            .setOptimizer(
                                    StatefulAdamW.builder()
                                            .optLearningRateTracker(Tracker.fixed(1e-2f))
                                            .optWeightDecays(0.05f)
                                            .build())
                            .setTrainingData(
                                    ShuffledBatches.builder()
                                            .setDataset(dataset)
                                            .setBatchSize(batch)
                                            .build())
                            .addListener(new SigmaScheduleListener())
                            .setInputShapes(new Shape(batch, width))
                            .setEpochs(Math.max(1, epochs))
                            .setSeed(5)
                            .optReplicas(replicas)
                            .optProgressEvery(0)
                            .optLog(
                                    new PrintStream(
                                            new ByteArrayOutputStream(),
                                            true,
                                            StandardCharsets.UTF_8))
                            .build();
            if (epochs > 0) {
                run.run(dir);
            } else {
                // The initial parameters: initialize without training.
                try (var trainer =
                        model.newTrainer(new ai.djl.training.DefaultTrainingConfig(loss))) {
                    Engine.getInstance()
                            .setRandomSeed(
                                    io.github.moge.core.training.data.RunSeeds.stepSeed(5, -1));
                    trainer.initialize(new Shape(batch, width));
                }
            }
            List<float[]> out = new ArrayList<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                out.add(p.getValue().getArray().toFloatArray());
            }
            return out;
        }
    }
}
