package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.metrics.RegularizerPull;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regularizer-pull diagnostic in the shared loop: its three columns are filled on the measured
 * steps only, with a non-zero regularizer share, it leaves no arrays behind, and measuring does not
 * move the trajectory: a run that measures every third step logs exactly the losses, gradient norms
 * and learning rates of one that never measures.
 */
class RegularizerPullRunTest {

    @TempDir Path temp;

    @Test
    void measuresEveryThirdStepWithoutChangingTheRun() throws IOException {
        Path measured = temp.resolve("measured");
        Path plain = temp.resolve("plain");
        List<Integer> alive = new ArrayList<>();
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder
                    .addStepDiagnostic(new RegularizerPull(3))
                    .addStepListener(
                            r -> alive.add(tiny.model.getNDManager().getManagedArrays().size()))
                    .build()
                    .run(measured);
        }
        for (int i = 1; i < alive.size(); i++) {
            assertEquals(alive.get(0), alive.get(i), "arrays alive after step " + i + ": " + alive);
        }
        try (TinyRun tiny = new TinyRun()) {
            tiny.builder.addStepDiagnostic(new RegularizerPull(0)).build().run(plain);
        }
        List<String> rows = Files.readAllLines(measured.resolve("metrics.csv"));
        List<String> header = List.of(rows.get(0).split(",", -1));
        int task = header.indexOf(RegularizerPull.TASK);
        int gs = header.indexOf(RegularizerPull.GS);
        int pull = header.indexOf(RegularizerPull.PULL);
        assertTrue(task > 0 && gs == task + 1 && pull == task + 2, rows.get(0));
        for (String row : rows.subList(1, rows.size())) {
            String[] cells = row.split(",", -1);
            long step = Long.parseLong(cells[0]);
            if (step % 3 == 0) {
                double g = Double.parseDouble(cells[gs]);
                double t = Double.parseDouble(cells[task]);
                assertTrue(g > 0 && t > 0, row);
                assertEquals(g / t, Double.parseDouble(cells[pull]), 1e-5 * g / t, row);
            } else {
                assertEquals("", cells[task] + cells[gs] + cells[pull], row);
            }
        }
        assertEquals(withoutDiagnostics(plain, task), withoutDiagnostics(measured, task));
    }

    /** metrics.csv without the three diagnostic columns and the wall time. */
    private static List<String> withoutDiagnostics(Path run, int first) throws IOException {
        List<String> out = new ArrayList<>();
        for (String row : Files.readAllLines(run.resolve("metrics.csv"))) {
            List<String> cells = new ArrayList<>(List.of(row.split(",", -1)));
            cells.remove(cells.size() - 1);
            cells.subList(first, first + 3).clear();
            out.add(String.join(",", cells));
        }
        return out;
    }
}
