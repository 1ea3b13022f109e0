package io.github.moge.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.MogeCli;
import io.github.moge.examples.training.UsageException;
import io.github.moge.lm.model.LmInitialization;
import io.github.moge.lm.model.LmPreset;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * train-lm's flags for the reference's model choices: {@code --expert-activation}, {@code
 * --router-bias} and {@code --init}, run-defining settings saved in {@code config.json}.
 */
class TrainLmReferenceOptionsTest {

    @TempDir Path temp;

    private LmRunSettings prepare(String... flags) throws IOException {
        Path corpus = Files.createDirectories(temp.resolve("brown"));
        Files.writeString(corpus.resolve("ca01"), "The/at jury/nn ./.\n");
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "train-lm",
                                "--preset",
                                "smoge-small",
                                "--brown",
                                corpus.toString(),
                                "--output",
                                temp.resolve("out").toString()));
        args.addAll(List.of(flags));
        CommandLine cli =
                MogeCli.newCommandLine(
                        new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        cli.parseArgs(args.toArray(String[]::new));
        TrainLmCommand command = cli.getSubcommands().get("train-lm").getCommand();
        return command.prepare();
    }

    @Test
    void thePresetsTakeTheReferencesChoicesAndTheFlagsChangeThem() throws IOException {
        LmRunSettings defaults = prepare();
        assertEquals(ExpertActivation.RELU, defaults.expertActivation());
        assertTrue(defaults.routerBias());
        assertEquals(LmInitialization.TORCH, defaults.initialization());
        assertEquals(LmPreset.EXPERT_ACTIVATION, defaults.expertActivation());

        LmRunSettings library =
                prepare("--expert-activation", "gelu", "--no-router-bias", "--init", "djl");
        assertEquals(ExpertActivation.GELU, library.expertActivation());
        assertFalse(library.routerBias());
        assertEquals(LmInitialization.DJL, library.initialization());
        assertTrue(prepare("--router-bias").routerBias());
        assertEquals(
                ExpertActivation.RELU, prepare("--expert-activation", "relu").expertActivation());

        RunConfiguration saved = RunConfiguration.fromJson(library.toConfiguration().toJson());
        assertEquals("GELU", saved.getString("expert_activation"));
        assertEquals("DJL", saved.getString("initialization"));
        assertEquals(library, LmRunSettings.fromConfiguration(saved));
    }

    @Test
    void unknownValuesAreRefusedOnOneLine() {
        UsageException e =
                assertThrows(
                        UsageException.class,
                        () -> prepare("--expert-activation", "tanh", "--init", "xavier"));
        assertTrue(e.getMessage().contains("unknown --expert-activation 'tanh'"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown --init 'xavier'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void theFlagsAreRunDefiningAndShownInHelp() throws IOException {
        StringWriter out = new StringWriter();
        CommandLine cli =
                MogeCli.newCommandLine(new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertEquals(0, cli.execute("train-lm", "--help"));
        String help = out.toString();
        for (String flag : List.of("--expert-activation", "--[no-]router-bias", "--init")) {
            assertTrue(help.contains(flag), flag + " in:\n" + help);
        }
        // Refused with --resume, as every run-defining flag.
        Path run = Files.createDirectories(temp.resolve("run"));
        Files.writeString(
                run.resolve(RunConfiguration.FILE_NAME), prepare().toConfiguration().toJson());
        StringWriter err = new StringWriter();
        CommandLine again =
                MogeCli.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(
                2,
                again.execute(
                        "train-lm",
                        "--resume",
                        run.toString(),
                        "--init",
                        "djl",
                        "--no-router-bias",
                        "--expert-activation",
                        "gelu"));
        String message = err.toString();
        for (String flag : List.of("--expert-activation", "--router-bias", "--init")) {
            assertTrue(message.contains(flag), message);
        }
        assertTrue(message.contains("given with --resume"), message);
    }
}
