package io.github.moge.examples.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.github.moge.core.training.RunConfiguration;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Checks that a settings object survives config.json whole: every saved field, with a telling
 * value.
 */
public final class SettingsAssertions {

    private SettingsAssertions() {}

    /**
     * Asserts that a settings object comes back from the text of its {@code config.json} unchanged,
     * and that each saved field of it differs from the defaults (so that a field left out of the
     * file, or read into the wrong field, cannot come back equal by chance).
     *
     * @param defaults the settings with default values
     * @param settings the settings under test, every saved field changed
     * @param save the command's {@code toConfiguration}
     * @param read the command's {@code fromConfiguration}
     * @param <T> the settings type
     * @return the configuration as read from its text
     */
    public static <T> RunConfiguration assertRoundTrip(
            T defaults,
            T settings,
            Function<T, RunConfiguration> save,
            Function<RunConfiguration, T> read) {
        for (Field field : savedFields(settings.getClass())) {
            assertNotEquals(
                    value(field, defaults),
                    value(field, settings),
                    field.getName()
                            + " must differ from its default for the round trip to test it");
        }
        RunConfiguration saved = RunConfiguration.fromJson(save.apply(settings).toJson());
        T back = read.apply(saved);
        for (Field field : savedFields(settings.getClass())) {
            assertEquals(value(field, settings), value(field, back), field.getName());
        }
        assertEquals(save.apply(settings).toJson(), save.apply(back).toJson());
        return saved;
    }

    private static List<Field> savedFields(Class<?> type) {
        List<Field> out = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())
                    && !field.isAnnotationPresent(PerInvocation.class)) {
                field.setAccessible(true);
                out.add(field);
            }
        }
        assertEquals(
                CommandSettings.keys(type).size(), out.size(), "every field is saved under a key");
        return out;
    }

    private static Object value(Field field, Object target) {
        try {
            return Objects.requireNonNullElse(field.get(target), "null");
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }
}
