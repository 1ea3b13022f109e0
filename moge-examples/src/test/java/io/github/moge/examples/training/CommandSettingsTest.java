package io.github.moge.examples.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.MogeCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The one settings mechanism: one serializer for config.json, one rule for what --resume refuses.
 */
class CommandSettingsTest {

    @TempDir Path temp;

    /** A settings record with every kind of value the commands save. */
    record Example(
            int batchSize,
            long seed,
            float learningRate,
            double warmupEpochs,
            boolean lowercase,
            Integer topK,
            Float lambda,
            String preset,
            Path corpusPath,
            TimeUnit unit) {}

    /** A settings class with a field that is not saved. */
    static final class WithProgress {
        int sigmaMax = 10;
        @PerInvocation boolean progress = true;
    }

    @Test
    void aRecordRoundTripsWithSnakeCaseKeys() {
        Example e =
                new Example(
                        8,
                        1L << 40,
                        1e-3f,
                        0.5,
                        true,
                        null,
                        2e-4f,
                        "vit-moge-xs-fmnist",
                        temp.resolve("corpus"),
                        TimeUnit.SECONDS);
        RunConfiguration saved =
                RunConfiguration.fromJson(CommandSettings.toConfiguration("demo", e).toJson());
        assertEquals(
                List.of(
                        "command",
                        "batch_size",
                        "seed",
                        "learning_rate",
                        "warmup_epochs",
                        "lowercase",
                        "top_k",
                        "lambda",
                        "preset",
                        "corpus_path",
                        "unit"),
                List.copyOf(saved.keys()));
        assertEquals("demo", saved.getString("command"));
        assertEquals(temp.resolve("corpus").toString(), saved.getString("corpus_path"));
        assertEquals("SECONDS", saved.getString("unit"));
        assertFalse(saved.has("top_k"), "null is saved as null");
        assertEquals(e, CommandSettings.fromConfiguration("demo", saved, Example.class));
        assertEquals(CommandSettings.keys(Example.class), List.copyOf(saved.keys()).subList(1, 11));
    }

    @Test
    void perInvocationFieldsAreNotSaved() {
        WithProgress w = new WithProgress();
        w.progress = false;
        w.sigmaMax = 3;
        RunConfiguration saved = CommandSettings.toConfiguration("demo", w);
        assertEquals(List.of("command", "sigma_max"), List.copyOf(saved.keys()));
        WithProgress back = CommandSettings.fromConfiguration("demo", saved, WithProgress.class);
        assertEquals(3, back.sigmaMax);
        assertTrue(back.progress, "not saved, so the default");
    }

    @Test
    void anotherCommandsOrAnOlderConfigurationIsRefused() {
        WithProgress w = new WithProgress();
        RunConfiguration saved = CommandSettings.toConfiguration("train-lm", w);
        IllegalArgumentException other =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                CommandSettings.fromConfiguration(
                                        "invariance", saved, WithProgress.class));
        assertTrue(
                other.getMessage()
                        .contains("not written by 'moge invariance' (command 'train-lm')"),
                other.getMessage());
        // the key style before the one mechanism: camelCase or dashed keys, no command
        RunConfiguration old =
                RunConfiguration.fromJson("{\"command\": \"train-lm\", \"sigmaMax\": 10}");
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                CommandSettings.fromConfiguration(
                                        "train-lm", old, WithProgress.class));
        assertTrue(
                missing.getMessage().contains("has no sigma_max")
                        && missing.getMessage().contains("start a new run"),
                missing.getMessage());
        IllegalArgumentException untagged =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                CommandSettings.fromConfiguration(
                                        "train-vision",
                                        RunConfiguration.fromJson("{\"batch-size\": 8}"),
                                        WithProgress.class));
        assertTrue(untagged.getMessage().contains("no command key"), untagged.getMessage());
        IllegalArgumentException wrongType =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                CommandSettings.fromConfiguration(
                                        "train-lm",
                                        RunConfiguration.fromJson(
                                                "{\"command\": \"train-lm\", \"sigma_max\":"
                                                        + " \"ten\"}"),
                                        WithProgress.class));
        assertTrue(wrongType.getMessage().contains("does not fit"), wrongType.getMessage());
    }

    private static List<String> runDefining(String command) {
        CommandLine cli =
                MogeCli.newCommandLine(
                        new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        return CommandSettings.runDefiningOptions(
                        cli.getSubcommands().get(command).getCommandSpec())
                .stream()
                .map(OptionSpec::longestName)
                .toList();
    }

    @Test
    void theRuleNamesEveryRunDefiningOptionOfEachCommand() {
        // what train-lm listed by hand before the rule existed
        assertEquals(
                Set.of(
                        "--preset",
                        "--data",
                        "--brown",
                        "--lowercase",
                        "--epochs",
                        "--batch",
                        "--block",
                        "--span",
                        "--layers",
                        "--width",
                        "--hidden",
                        "--top-k",
                        "--dropout",
                        "--lr",
                        "--warmup",
                        "--lambda",
                        "--sigma",
                        "--balance",
                        "--expert-activation",
                        "--router-bias",
                        "--init",
                        "--eval-batch",
                        "--max-steps-per-epoch",
                        "--batches-per-epoch",
                        "--eval-limit",
                        "--seed"),
                Set.copyOf(runDefining("train-lm")));
        assertEquals(
                List.of(
                        "--preset",
                        "--data",
                        "--dataset",
                        "--epochs",
                        "--experts",
                        "--top-k",
                        "--moge",
                        "--lambda",
                        "--load-form",
                        "--batch-size",
                        "--lr",
                        "--min-lr",
                        "--weight-decay",
                        "--warmup-epochs",
                        "--mixup",
                        "--cutmix",
                        "--label-smoothing",
                        "--random-erasing",
                        "--color-jitter",
                        "--auto-augment",
                        "--flip",
                        "--crop-padding",
                        "--train-limit",
                        "--test-limit",
                        "--eval-batch-size",
                        "--upcycle-from",
                        "--seed"),
                runDefining("train-vision"));
        assertEquals(
                List.of(
                        "--epochs",
                        "--train-limit",
                        "--test-limit",
                        "--data",
                        "--seed",
                        "--lambda",
                        "--sigma-max",
                        "--sigma-min",
                        "--sigma-power",
                        "--experts",
                        "--hidden-size",
                        "--filter-size",
                        "--batch-size",
                        "--lr",
                        "--weight-decay",
                        "--warmup-epochs",
                        "--input-norm",
                        "--transforms"),
                runDefining("invariance"));
        for (String command : List.of("train-lm", "train-vision", "invariance")) {
            List<String> options = runDefining(command);
            for (String shared :
                    List.of(
                            "--resume",
                            "--checkpoint-every",
                            "--clip-grad-norm",
                            "--output",
                            "--help")) {
                assertFalse(options.contains(shared), command + " " + shared);
            }
        }
    }

    private String refused(String... args) {
        StringWriter err = new StringWriter();
        int code =
                MogeCli.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                        .execute(args);
        assertEquals(2, code, err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
        return err.toString();
    }

    @Test
    void aRunDefiningFlagWithResumeIsRefusedNamingItByEveryCommand() throws Exception {
        Path run = Files.createDirectories(temp.resolve("run"));
        String message =
                "given with --resume: a resumed run keeps the settings saved in "
                        + run.resolve("config.json")
                        + "; drop ";
        String lm =
                refused(
                        "train-lm",
                        "--resume",
                        run.toString(),
                        "--top-k",
                        "3",
                        "--max-minutes",
                        "1");
        assertTrue(lm.contains("--top-k " + message + "--top-k"), lm);
        String vision =
                refused("train-vision", "--resume", run.toString(), "--seed", "3", "--no-progress");
        assertTrue(vision.contains("--seed " + message + "--seed"), vision);
        String invariance =
                refused(
                        "invariance",
                        "--resume",
                        run.toString(),
                        "--sigma-max",
                        "5",
                        "--data",
                        temp.toString(),
                        "--no-progress");
        assertTrue(
                invariance.contains("--data, --sigma-max " + message + "--data, --sigma-max"),
                invariance);
        // per-invocation options are not named
        assertFalse(lm.contains("--max-minutes given"), lm);
        assertFalse(vision.contains("--no-progress"), vision);
    }
}
