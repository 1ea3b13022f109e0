package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sigma schedule position survives DJL's own {@code Model.save} / {@code Model.load}: a user
 * who checkpoints with DJL alone continues with the sigma the run stopped at.
 */
class SigmaMetadataTest {

    private static final int WIDTH = 6;
    private static final int BATCH = 16;
    private static final int TOTAL = 40;

    @TempDir Path dir;

    private static MoeBlock moge() {
        return MoeBlock.builder()
                .setExperts(9)
                .setHiddenSize(8)
                .optRegularizer(
                        GroupSparseRegularizer.builder().setExperts(9).build(),
                        SigmaSchedule.builder()
                                .setMax(10f)
                                .setMin(1.5f)
                                .setPower(0.3f)
                                .setTotalSteps(TOTAL)
                                .build())
                .build();
    }

    private static Model model(String name) {
        Model model = Model.newInstance(name);
        model.setBlock(
                new MoeSequentialBlock().add(moge()).add(Linear.builder().setUnits(3).build()));
        return model;
    }

    private static Trainer trainer(Model model, SigmaScheduleListener sigma) {
        MoeLoss loss =
                MoeLoss.builder()
                        .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                        .optGroupSparseWeight(0.01f)
                        .build();
        Trainer trainer =
                model.newTrainer(
                        new DefaultTrainingConfig(loss)
                                .optOptimizer(
                                        Optimizer.sgd()
                                                .setLearningRateTracker(Tracker.fixed(0.1f))
                                                .build())
                                .addTrainingListeners(sigma));
        trainer.initialize(new Shape(BATCH, WIDTH));
        return trainer;
    }

    private static void step(Trainer trainer, NDManager manager, int i) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.randomNormal(0, 1, new Shape(BATCH, WIDTH), DataType.FLOAT32);
            NDArray y = scope.randomInteger(0, 3, new Shape(BATCH), DataType.INT64);
            Batch batch =
                    new Batch(scope, new NDList(x), new NDList(y), BATCH, null, null, i, TOTAL);
            EasyTrain.trainBatch(trainer, batch);
            trainer.step();
        }
    }

    private static MoeBlock moeOf(Model model) {
        return SigmaScheduleListener.findMoeBlocks(model.getBlock()).get(0);
    }

    @Test
    void modelSaveAndLoadContinueTheSchedule() throws IOException, MalformedModelException {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager();
                Model original = model("sigma")) {
            SigmaScheduleListener sigma = new SigmaScheduleListener();
            List<Float> uninterrupted = new ArrayList<>();
            try (Trainer t = trainer(original, sigma)) {
                for (int i = 0; i < 7; i++) {
                    step(t, manager, i);
                }
                original.save(dir, "sigma");
                for (int i = 7; i < 12; i++) {
                    step(t, manager, i);
                    uninterrupted.add(moeOf(original).getSigma());
                }
            }
            try (Model loaded = model("sigma")) {
                loaded.load(dir, "sigma");
                assertEquals(7, moeOf(loaded).getScheduleStep());
                SigmaScheduleListener fresh = new SigmaScheduleListener();
                try (Trainer t = trainer(loaded, fresh)) {
                    assertEquals(7, fresh.getStep(), "the new listener takes the loaded position");
                    for (int i = 7; i < 12; i++) {
                        step(t, manager, i);
                        assertEquals(
                                uninterrupted.get(i - 7),
                                moeOf(loaded).getSigma(),
                                0f,
                                "sigma after step " + (i + 1));
                    }
                }
                assertTrue(uninterrupted.get(0) < 10f && uninterrupted.get(4) > 1.5f);
            }
        }
    }

    @Test
    void versionOneParametersStillLoadAtStepZero() throws IOException, MalformedModelException {
        try (NDManager manager = NDManager.newBaseManager()) {
            MoeBlock block = moge();
            block.initialize(manager, DataType.FLOAT32, new Shape(BATCH, WIDTH));
            byte[] atZero = save(block);
            block.setScheduleStep(5);
            byte[] atFive = save(block);
            // The two streams differ only in the last byte of the big-endian step.
            int last = 0;
            while (atZero[last] == atFive[last]) {
                last++;
            }
            assertEquals(5, atFive[last]);
            int stepAt = last - 3;
            ByteArrayOutputStream v1 = new ByteArrayOutputStream();
            v1.write(1);
            v1.write(atFive, 1, stepAt - 1);
            v1.write(atFive, stepAt + 4, atFive.length - stepAt - 4);

            MoeBlock old = moge();
            old.initialize(manager, DataType.FLOAT32, new Shape(BATCH, WIDTH));
            old.loadParameters(
                    manager, new DataInputStream(new ByteArrayInputStream(v1.toByteArray())));
            assertEquals(0, old.getScheduleStep());
            for (Pair<String, Parameter> p : block.getParameters()) {
                assertArrayEquals(
                        p.getValue().getArray().toFloatArray(),
                        old.getParameters().get(p.getKey()).getArray().toFloatArray(),
                        p.getKey());
            }

            byte[] v3 = atFive.clone();
            v3[0] = 3;
            MoeBlock future = moge();
            future.initialize(manager, DataType.FLOAT32, new Shape(BATCH, WIDTH));
            MalformedModelException e =
                    assertThrows(
                            MalformedModelException.class,
                            () ->
                                    future.loadParameters(
                                            manager,
                                            new DataInputStream(new ByteArrayInputStream(v3))));
            assertTrue(e.getMessage().contains("version 3"), e.getMessage());
        }
    }

    private static byte[] save(MoeBlock block) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream os = new DataOutputStream(bytes)) {
            block.saveParameters(os);
        }
        return bytes.toByteArray();
    }

    @Test
    void aScheduleShorterThanTheTrainingIsSaidOnceInOneLine() {
        List<String> warnings = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
                Model model = model("short")) {
            SigmaScheduleListener sigma = new SigmaScheduleListener(warnings::add);
            try (Trainer t = trainer(model, sigma)) {
                for (int i = 0; i < TOTAL; i++) {
                    sigma.onTrainingBatch(t, null);
                }
                assertEquals(List.of(), warnings, "a run of exactly T steps is not warned about");
                sigma.onTrainingBatch(t, null);
                sigma.onTrainingBatch(t, null);
            }
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertEquals(
                "the sigma schedule over T = 40 steps ended at step 41 and training goes on: sigma"
                        + " stays at 1.5; build it over the run's total steps"
                        + " (SigmaSchedule.Setting.over(totalSteps))",
                warnings.get(0));
    }
}
