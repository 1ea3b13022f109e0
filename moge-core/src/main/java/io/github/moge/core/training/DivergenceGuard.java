package io.github.moge.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.core.training.log.RunLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Stops a run at a step with a non-finite loss or gradient norm ({@link
 * TrainingDivergedException}), or, when skipping is on, zeroes that step's gradients so the update
 * changes nothing, and stops after more than {@value #MAX_CONSECUTIVE_SKIPS} such steps in a row.
 */
final class DivergenceGuard {

    static final int MAX_CONSECUTIVE_SKIPS = 10;

    private final boolean skipNonFinite;
    private final Block block;
    private final RunLog log;
    private int consecutiveSkips;

    DivergenceGuard(boolean skipNonFinite, Block block, RunLog log) {
        this.skipNonFinite = skipNonFinite;
        this.block = block;
        this.log = log;
    }

    /**
     * Checks a step before its update.
     *
     * @param context the step's position
     * @param values the step's loss, components and gradient norm
     * @param gradients the step's gradients, in parameter order
     * @param lastCheckpoint the newest checkpoint on disk, or null
     * @return whether to apply the update; false when the step is skipped (gradients zeroed)
     * @throws TrainingDivergedException if the step is not finite and may not be skipped
     */
    boolean admit(
            StepContext context,
            StepMetrics.Values values,
            List<NDArray> gradients,
            Path lastCheckpoint) {
        float loss = values.loss();
        float norm = values.gradientNorm();
        if (Float.isFinite(loss) && Float.isFinite(norm)) {
            consecutiveSkips = 0;
            return true;
        }
        String message =
                message(
                                context.getStep(),
                                context.getEpoch(),
                                context.getBatchInEpoch(),
                                loss,
                                values.components(),
                                norm)
                        + nonFiniteGradients(gradients);
        if (!skipNonFinite) {
            throw new TrainingDivergedException(
                    message, context.getStep(), loss, values.components(), norm, lastCheckpoint);
        }
        consecutiveSkips++;
        if (consecutiveSkips > MAX_CONSECUTIVE_SKIPS) {
            throw new TrainingDivergedException(
                    message
                            + "; "
                            + consecutiveSkips
                            + " consecutive steps were non-finite, giving up",
                    context.getStep(),
                    loss,
                    values.components(),
                    norm,
                    lastCheckpoint);
        }
        log.warning("skipping the update: " + message);
        for (NDArray gradient : gradients) {
            gradient.set(new NDIndex("..."), 0);
        }
        return false;
    }

    /**
     * Names the parameters whose gradients are not finite (only computed once a step has diverged).
     */
    private String nonFiniteGradients(List<NDArray> gradients) {
        List<String> names = new ArrayList<>();
        int i = 0;
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            if (!parameter.requiresGradient() || !parameter.isInitialized()) {
                continue;
            }
            NDArray gradient = gradients.get(i++);
            float norm = GradientClipping.globalNorm(List.of(gradient)).getFloat();
            if (!Float.isFinite(norm)) {
                names.add(entry.getKey() + " (" + norm + ")");
            }
        }
        if (names.isEmpty()) {
            return "";
        }
        int shown = Math.min(5, names.size());
        return "; non-finite gradient norm in "
                + String.join(", ", names.subList(0, shown))
                + (names.size() > shown
                        ? " and " + (names.size() - shown) + " more parameters"
                        : "");
    }

    private static String message(
            long step,
            int epoch,
            int index,
            float lossValue,
            Map<String, Float> components,
            float norm) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "non-finite %s at step %d (epoch %d, batch %d): loss %s",
                        Float.isFinite(lossValue) ? "gradient" : "loss",
                        step,
                        epoch + 1,
                        index,
                        lossValue));
        if (!components.isEmpty()) {
            sb.append(" =");
            String sep = " ";
            for (Map.Entry<String, Float> e : components.entrySet()) {
                sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = " + ";
            }
        }
        sb.append(", gradient norm ").append(norm);
        return sb.toString();
    }
}
