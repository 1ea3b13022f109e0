package io.github.moge.core.training.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run's CSV files are plain comma-joined rows, written and read through Commons CSV. */
class CsvLogTest {

    @TempDir Path temp;

    private static final List<String> HEADER =
            List.of("step", "epoch", "batch", "loss", "router_grad_gs", "grad_norm", "millis");

    @Test
    void rowsAreCommaJoinedValuesWithEmptyCellsUnquoted() throws IOException {
        Path file = temp.resolve("metrics.csv");
        List<List<String>> rows =
                List.of(
                        List.of("0", "0", "0", "2.3025851", "", "0.5", "12.30"),
                        List.of("1", "0", "1", "NaN", "1.0E-4", "-Infinity", "3.00"),
                        List.of("2", "0", "2", "-0.0", "Infinity", "1.2345679E8", "0.00"));
        try (CsvLog log = CsvLog.open(file, HEADER, 0)) {
            for (List<String> row : rows) {
                log.append(row);
            }
        }
        StringBuilder expected = new StringBuilder(String.join(",", HEADER)).append('\n');
        rows.forEach(r -> expected.append(String.join(",", r)).append('\n'));
        assertEquals(expected.toString(), Files.readString(file, StandardCharsets.UTF_8));
        assertEquals(List.of(HEADER, rows.get(0), rows.get(1), rows.get(2)), CsvLog.readAll(file));
    }

    @Test
    void reopeningDropsRowsAtOrPastThePositionAndATornLastRow() throws IOException {
        Path file = temp.resolve("metrics.csv");
        String header = String.join(",", HEADER) + "\n";
        String kept = "0,0,0,1.5,,0.5,1.00\n" + "1,0,1,1.25,,0.25,1.00\n";
        // Step 2 was written after the last checkpoint (at step 2); "3" is a row torn by a kill.
        Files.writeString(
                file, header + kept + "2,0,2,1.0,,0.2,1.00\n" + "3", StandardCharsets.UTF_8);
        try (CsvLog log = CsvLog.open(file, HEADER, 2)) {
            log.append(List.of("2", "0", "2", "1.0", "", "0.2", "1.50"));
        }
        assertEquals(header + kept + "2,0,2,1.0,,0.2,1.50\n", Files.readString(file));
    }

    @Test
    void otherColumnsAreRefused() throws IOException {
        Path file = temp.resolve("epochs.csv");
        Files.writeString(file, "step,loss\n0,1.0\n");
        IOException e = assertThrows(IOException.class, () -> CsvLog.open(file, HEADER, 1));
        assertTrue(
                e.getMessage()
                        .contains("has other columns than this run writes (step,epoch,batch,"),
                e.getMessage());
    }

    @Test
    void aLogWithoutANewerDiagnosticColumnKeepsItsRowsWithThatCellEmpty() throws IOException {
        Path file = temp.resolve("metrics.csv");
        List<String> old = List.of("step", "loss", "millis");
        List<String> newer = List.of("step", "loss", "sigma", "millis");
        Files.writeString(file, "step,loss,millis\n0,1.5,3.0\n1,1.25,2.5\n2,1.0,2.0\n");
        try (CsvLog log = CsvLog.open(file, newer, 2, Set.of("sigma"))) {
            log.append(List.of("2", "1.0", "9.5", "2.0"));
        }
        assertEquals(
                "step,loss,sigma,millis\n0,1.5,,3.0\n1,1.25,,2.5\n2,1.0,9.5,2.0\n",
                Files.readString(file));
        // without the column declared addable, or with one the file has and the log lacks: refused
        Files.writeString(file, "step,loss,millis\n0,1.5,3.0\n");
        assertThrows(IOException.class, () -> CsvLog.open(file, newer, 1));
        assertThrows(
                IOException.class, () -> CsvLog.open(file, List.of("step", "loss"), 1, Set.of()));
        assertThrows(
                IOException.class,
                () -> CsvLog.open(file, List.of("step", "sigma", "millis"), 1, Set.of("sigma")));
        assertEquals(old, CsvLog.readAll(file).get(0));
    }

    @Test
    void epochRecordsAreReadBackByColumnName() throws IOException {
        List<String> header =
                List.of(
                        "epoch",
                        "step",
                        "train_loss",
                        "train_Accuracy",
                        "validation_loss",
                        "validation_Accuracy",
                        "skipped",
                        "seconds");
        try (CsvLog log = CsvLog.open(temp.resolve("epochs.csv"), header, 0)) {
            log.append(List.of("0", "6", "1.5", "0.25", "1.25", "NaN", "1", "0.125"));
        }
        List<EpochRecord> records = EpochRecord.readAll(temp);
        assertEquals(1, records.size());
        EpochRecord r = records.get(0);
        assertEquals(0, r.getEpoch());
        assertEquals(Map.of("loss", 1.5, "Accuracy", 0.25), r.getTraining());
        assertEquals(Map.of("loss", 1.25), r.getValidation()); // NaN: not measured
        assertEquals(1, r.getSkippedSteps());
        assertEquals(0.125, r.getSeconds());
    }
}
