package io.github.moge.core.training;

import java.nio.file.Path;

/**
 * Child process of {@link SigkillResumeTest}: trains {@link TinyRun} in the given run directory
 * (new or resumed), printing "step N" after every step; with a stop step it then hangs there,
 * waiting for SIGKILL.
 */
public final class ForkedTrainingMain {

    private ForkedTrainingMain() {}

    /**
     * Entry point.
     *
     * @param args run directory, "run" or "resume", and the step after which to wait to be killed
     *     (-1: none)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean resume = args[1].equals("resume");
        long hangAfter = Long.parseLong(args[2]);
        try (TinyRun tiny = new TinyRun()) {
            TrainingRun run =
                    tiny.builder
                            .addStepListener(
                                    r -> {
                                        System.out.println("step " + r.getStep());
                                        System.out.flush();
                                        if (r.getStep() == hangAfter) {
                                            try {
                                                Thread.sleep(600_000);
                                            } catch (InterruptedException e) {
                                                Thread.currentThread().interrupt();
                                            }
                                        }
                                    })
                            .build();
            TrainingSummary summary = resume ? run.resume(dir) : run.run(dir);
            System.out.println("done " + summary.getStartStep() + " " + summary.getStep());
        }
    }
}
