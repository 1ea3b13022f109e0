package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SigmaScheduleTest {

    private static final int T = 1000;

    private static SigmaSchedule schedule(float power) {
        return SigmaSchedule.builder()
                .setMax(10f)
                .setMin(1.5f)
                .setPower(power)
                .setTotalSteps(T)
                .build();
    }

    @Test
    void publishedPowerAtKeySteps() {
        SigmaSchedule s = schedule(0.3f);
        assertEquals(10f, s.getNewValue(0), 0f);
        assertEquals(10 - 8.5 * Math.pow(0.5, 0.3), s.getNewValue(T / 2), 1e-5);
        assertEquals(1.5f, s.getNewValue(T), 1e-6);
        assertEquals(1.5f, s.getNewValue(2 * T), 1e-6);
    }

    @Test
    void linearPower() {
        SigmaSchedule s = schedule(1f);
        assertEquals(10f, s.getNewValue(0), 0f);
        assertEquals(5.75f, s.getNewValue(T / 2), 1e-5);
        assertEquals(1.5f, s.getNewValue(T), 1e-6);
        assertEquals(1.5f, s.getNewValue(2 * T), 1e-6);
    }

    @Test
    void cubicPowerDecaysSlowlyFirst() {
        SigmaSchedule s = schedule(3f);
        assertEquals(10f, s.getNewValue(0), 0f);
        assertEquals(10 - 8.5 * 0.125, s.getNewValue(T / 2), 1e-5);
        assertEquals(1.5f, s.getNewValue(T), 1e-6);
        assertEquals(1.5f, s.getNewValue(2 * T), 1e-6);
    }

    @Test
    void zeroPowerIsMinFromTheFirstStep() {
        SigmaSchedule s = schedule(0f);
        for (int t : new int[] {0, T / 2, T, 2 * T}) {
            assertEquals(1.5f, s.getNewValue(t), 0f, "step " + t);
        }
    }

    @Test
    void monotoneAndBounded() {
        for (float p : new float[] {0.3f, 1f, 3f}) {
            SigmaSchedule s = schedule(p);
            float previous = Float.POSITIVE_INFINITY;
            for (int t = 0; t <= 2 * T; t += 7) {
                float v = s.getNewValue(t);
                assertTrue(v <= previous && v >= 1.5f && v <= 10f, "p=" + p + " t=" + t + " " + v);
                previous = v;
            }
        }
    }

    @Test
    void equalMinAndMaxIsConstant() {
        SigmaSchedule s =
                SigmaSchedule.builder()
                        .setMax(2f)
                        .setMin(2f)
                        .setPower(0.3f)
                        .setTotalSteps(5)
                        .build();
        assertEquals(2f, s.getNewValue(3), 0f);
    }

    @Test
    void rejectsInvalidValues() {
        assertMessage(() -> SigmaSchedule.builder().setMax(0f), "max");
        assertMessage(() -> SigmaSchedule.builder().setMin(-1f), "min");
        assertMessage(() -> SigmaSchedule.builder().setPower(-0.1f), "power");
        assertMessage(() -> SigmaSchedule.builder().setPower(Float.NaN), "power");
        assertMessage(() -> SigmaSchedule.builder().setTotalSteps(0), "totalSteps");
        assertMessage(
                () ->
                        SigmaSchedule.builder()
                                .setMax(1f)
                                .setMin(2f)
                                .setPower(1f)
                                .setTotalSteps(3)
                                .build(),
                "min must be <= max");
        assertMessage(() -> SigmaSchedule.builder().setMax(1f).build(), "must all be set");
        assertMessage(() -> schedule(1f).getNewValue(-1), "step");
    }

    @Test
    void publishedSettingsBuildTheSameScheduleAsTheBuilder() {
        assertEquals(new SigmaSchedule.Setting(10f, 1.5f, 0.3f), SigmaSchedule.VISION);
        assertEquals(new SigmaSchedule.Setting(10f, 0.5f, 0.3f), SigmaSchedule.VISION_IMAGENET);
        assertEquals(new SigmaSchedule.Setting(10f, 1.5f, 0.3f), SigmaSchedule.LM_PAPER);
        assertEquals(new SigmaSchedule.Setting(10f, 1.0f, 0.2f), SigmaSchedule.LM_RELEASED);
        SigmaSchedule vision = SigmaSchedule.VISION.over(T);
        SigmaSchedule built = schedule(0.3f);
        for (int step : new int[] {0, 1, T / 3, T / 2, T, 2 * T}) {
            assertEquals(built.getNewValue(step), vision.getNewValue(step), 0f);
        }
        assertEquals(T, vision.getTotalSteps());
        assertEquals(SigmaSchedule.VISION, vision.getSetting());
        assertMessage(() -> new SigmaSchedule.Setting(1f, 2f, 1f), "min must be <= max");
        assertMessage(() -> new SigmaSchedule.Setting(10f, 1f, -1f), "power");
        assertMessage(() -> SigmaSchedule.VISION.over(0), "totalSteps");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks " + part);
    }
}
