package io.github.moge.core.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** state.json: the listener states round-trip, and checkpoints of format 1 still resume. */
class TrainingStateTest {

    @Test
    void listenerStatesAndEpochSumsRoundTrip() {
        TrainingState state = TrainingState.start(7, 2, 3);
        state.recordMetrics(4, 0.5f, Map.of("ce", 0.25f), Map.of("Accuracy", 1f));
        state.recordUpdate(0.5f, 1e-3f);
        state.recordStep(0.25);
        state.setListenerStates(List.of("1"));
        TrainingState read = TrainingState.fromJson(state.toJson());
        assertEquals(List.of("1"), read.getListenerStates());
        assertEquals(1, read.getStep());
        assertEquals(1, read.getBatchInEpoch());
        assertEquals(Map.of("loss", 0.5, "ce", 0.25, "Accuracy", 1.0), read.getEpochMeans());
        assertEquals(0.5f, read.getLastLoss());
        assertFalse(state.toJson().contains("scheduleSteps"));

        read.recordEpoch();
        assertEquals(1, read.getEpoch());
        assertEquals(0, read.getBatchInEpoch());
        assertTrue(read.getEpochMeans().isEmpty());
        assertEquals(0, state.getEpoch(), "the copy advanced, not the original");
    }

    @Test
    void formatOneSigmaStepsAreReadAsListenerStates() {
        String v1 =
                "{\"formatVersion\": 1, \"seed\": 11, \"step\": 12, \"epochs\": 3,"
                        + " \"batchesPerEpoch\": 6, \"scheduleSteps\": [12], \"optimizer\": []}";
        TrainingState state = TrainingState.fromJson(v1);
        assertEquals(List.of("12"), state.getListenerStates());
        assertEquals(12, state.getStep());
        String written = state.toJson();
        assertTrue(written.contains("\"formatVersion\": " + TrainingState.FORMAT_VERSION), written);
        assertFalse(written.contains("scheduleSteps"), written);
    }

    @Test
    void otherVersionsAreRefused() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TrainingState.fromJson("{\"formatVersion\": 9}"));
        assertTrue(e.getMessage().contains("format version 9"), e.getMessage());
    }
}
