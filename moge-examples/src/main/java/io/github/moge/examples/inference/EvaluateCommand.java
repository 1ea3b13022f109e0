package io.github.moge.examples.inference;

import io.github.moge.examples.lm.TrainedLmRun;
import io.github.moge.examples.vision.TrainedVisionRun;
import io.github.moge.lm.eval.Perplexity;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code moge evaluate}: re-computes a run's test figures from its saved model and prints them
 * beside the figures the run recorded.
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Re-computes a run's test figures from its saved model and prints them beside what the"
                    + " run recorded: test Acc@1/Acc@5 of a train-vision run (final model,"
                    + " RUN/model/), test perplexity of a train-lm run (best-on-validation"
                    + " parameters, RUN/lm-best-0000.params)."
        },
        footer = {"", "Example:", "  moge evaluate --run runs/fmnist"})
public final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    @Mixin RunOptions options = new RunOptions();

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (RunKind.of(options.run) == RunKind.VISION) {
            try (TrainedVisionRun run =
                    TrainedVisionRun.open(
                            options.run, options.data, RunKind.device(options.device))) {
                TrainedVisionRun.Accuracy got = run.evaluate();
                TrainedVisionRun.Accuracy recorded = run.recorded();
                out.printf(
                        Locale.ROOT,
                        "%s (%s): test Acc@1 %.2f%%  Acc@5 %.2f%% on %d images; the run recorded"
                                + " Acc@1 %.2f%%  Acc@5 %.2f%%%n",
                        options.run,
                        run.getPresetName(),
                        100 * got.acc1(),
                        100 * got.acc5(),
                        got.images(),
                        100 * recorded.acc1(),
                        100 * recorded.acc5());
            }
        } else {
            try (TrainedLmRun run =
                    TrainedLmRun.open(options.run, options.data, RunKind.device(options.device))) {
                Perplexity got = run.evaluate();
                out.printf(
                        Locale.ROOT,
                        "%s (%s): test perplexity %.2f on %d tokens; the run recorded %.2f%n",
                        options.run,
                        run.getPresetName(),
                        got.value(),
                        got.getTokens(),
                        run.recorded());
            }
        }
        out.flush();
        return 0;
    }
}
