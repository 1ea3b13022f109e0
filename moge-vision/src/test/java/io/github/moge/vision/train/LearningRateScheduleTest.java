package io.github.moge.vision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    @Test
    void learningRateWarmsUpThenDecays() {
        TrainingSettings s =
                TrainingSettings.builder()
                        .setEpochs(10)
                        .optLearningRate(1e-3f)
                        .optMinLearningRate(1e-5f)
                        .optWarmupEpochs(2)
                        .optBatchSize(10)
                        .build();
        assertEquals(10, VisionTrainer.stepsPerEpoch(105, s));
        Tracker lr = VisionTrainer.learningRateSchedule(s, 10);
        assertEquals(0f, lr.getNewValue(0), 1e-9f);
        assertEquals(5e-4f, lr.getNewValue(10), 1e-7f);
        assertEquals(1e-3f, lr.getNewValue(20), 1e-7f);
        assertEquals(1e-5f + (1e-3f - 1e-5f) / 2, lr.getNewValue(60), 1e-7f);
        assertEquals(1e-5f, lr.getNewValue(100), 1e-8f);
    }
}
