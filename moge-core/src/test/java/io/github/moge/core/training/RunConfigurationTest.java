package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json: one key style, null values kept, numbers compared by value. */
class RunConfigurationTest {

    @Test
    void keysMustBeSnakeCase() {
        for (String key : List.of("batch-size", "batchSize", "Batch_size", "_seed", "top__k", "")) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> RunConfiguration.of(Map.of(key, 1)),
                            key);
            assertTrue(e.getMessage().contains("is not snake_case"), e.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> RunConfiguration.empty().with(Map.of(key, 1)),
                    key);
        }
        RunConfiguration ok =
                RunConfiguration.of(Map.of("clip_grad_norm", 1f, "top_k", 2, "model", "moe2"));
        assertEquals(2, ok.getInt("top_k"));
    }

    @Test
    void nullValuesAreWrittenAndReadBackAsUnset(@TempDir Path dir) throws Exception {
        Map<String, Object> values = new HashMap<>();
        values.put("epochs", null);
        values.put("data", dir);
        RunConfiguration c = RunConfiguration.of(values);
        assertTrue(c.toJson().contains("\"epochs\": null"), c.toJson());
        Files.writeString(dir.resolve(RunConfiguration.FILE_NAME), c.toJson());
        RunConfiguration back = RunConfiguration.read(dir);
        assertTrue(back.keys().contains("epochs"));
        assertFalse(back.has("epochs"));
        assertEquals(dir.toString(), back.getString("data"));
        assertEquals(List.of(), back.differences(c));
        assertEquals(
                List.of("lr: 1e-3 -> 0.002"),
                RunConfiguration.fromJson("{\"lr\": 1e-3}")
                        .differences(RunConfiguration.fromJson("{\"lr\": 0.002}")));
        assertEquals(
                List.of(),
                RunConfiguration.fromJson("{\"lr\": 1e-3}")
                        .differences(RunConfiguration.fromJson("{\"lr\": 0.001}")));
    }
}
