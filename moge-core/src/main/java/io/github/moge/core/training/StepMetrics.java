package io.github.moge.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.evaluator.AbstractAccuracy;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scalars of a step: loss, global gradient norm, loss components, evaluators and step
 * diagnostics, computed on the device and brought to the host in one transfer.
 */
final class StepMetrics {

    private static final String BATCH_ACCUMULATOR = "moge.batch";

    private final List<Loss> components;
    private final List<Evaluator> evaluators;
    private final List<StepDiagnostic> diagnostics;

    StepMetrics(
            List<Loss> components, List<Evaluator> evaluators, List<StepDiagnostic> diagnostics) {
        this.components = components;
        this.evaluators = evaluators;
        this.diagnostics = diagnostics;
    }

    /** Lets the diagnostics prepare the step (before its forward pass). */
    void beforeForward(Trainer trainer, long step) {
        for (StepDiagnostic diagnostic : diagnostics) {
            diagnostic.beforeForward(trainer, step);
        }
    }

    /**
     * Measures a step after its backward pass, before clipping and the update.
     *
     * @param trainer the trainer
     * @param output the step's loss, labels and predictions
     * @param context the step's position and manager
     * @param gradients the gradients of the trained parameters
     * @return the values on the host
     */
    Values measure(
            Trainer trainer, StepOutput output, StepContext context, List<NDArray> gradients) {
        List<Boolean> measured = new ArrayList<>();
        NDList diagnosticValues = measureDiagnostics(trainer, output, context, measured);
        NDList scalars = new NDList();
        scalars.add(asScalar(output.getLoss()));
        scalars.add(
                gradients.isEmpty()
                        ? context.getManager().zeros(new Shape())
                        : GradientClipping.globalNorm(gradients));
        for (Loss component : components) {
            scalars.add(asScalar(component.evaluate(output.getLabels(), output.getPredictions())));
        }
        for (Evaluator evaluator : evaluators) {
            scalars.add(evaluatorScalar(evaluator, output.getLabels(), output.getPredictions()));
        }
        scalars.addAll(diagnosticValues);
        float[] values = NDArrays.stack(scalars).toFloatArray();
        Map<String, Float> componentValues = new LinkedHashMap<>();
        for (int i = 0; i < components.size(); i++) {
            componentValues.put(components.get(i).getName(), values[2 + i]);
        }
        Map<String, Float> evaluations = new LinkedHashMap<>();
        for (int i = 0; i < evaluators.size(); i++) {
            evaluations.put(evaluators.get(i).getName(), values[2 + components.size() + i]);
        }
        Map<String, Float> diagnosed =
                diagnosticMap(values, 2 + components.size() + evaluators.size(), measured);
        return new Values(values[0], values[1], componentValues, evaluations, diagnosed);
    }

    /**
     * Runs the diagnostics on this step; {@code measured} receives, per diagnostic, whether it
     * measured. Their scalars are returned for the step's single host read.
     */
    private NDList measureDiagnostics(
            Trainer trainer, StepOutput output, StepContext context, List<Boolean> measured) {
        NDList values = new NDList();
        for (StepDiagnostic diagnostic : diagnostics) {
            NDList measurement = diagnostic.measure(trainer, output, context);
            measured.add(measurement != null);
            if (measurement == null) {
                continue;
            }
            if (measurement.size() != diagnostic.names().size()) {
                throw new IllegalStateException(
                        diagnostic.getClass().getSimpleName()
                                + " returned "
                                + measurement.size()
                                + " values for its "
                                + diagnostic.names().size()
                                + " names");
            }
            for (NDArray value : measurement) {
                values.add(asScalar(value));
            }
        }
        return values;
    }

    /**
     * The diagnostics' values by column name, NaN for a diagnostic that did not measure this step.
     */
    private Map<String, Float> diagnosticMap(float[] values, int offset, List<Boolean> measured) {
        Map<String, Float> out = new LinkedHashMap<>();
        int next = offset;
        for (int i = 0; i < diagnostics.size(); i++) {
            for (String name : diagnostics.get(i).names()) {
                out.put(name, measured.get(i) ? values[next++] : Float.NaN);
            }
        }
        return out;
    }

    /**
     * Returns the gradients of the block's trained parameters, attached to the step's manager.
     *
     * @param block the model's block
     * @param scope the step's manager
     * @return the gradients in parameter order
     */
    static List<NDArray> gradients(Block block, NDManager scope) {
        List<NDArray> out = new ArrayList<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            if (parameter.requiresGradient() && parameter.isInitialized()) {
                NDArray gradient = parameter.getArray().getGradient();
                gradient.attach(scope);
                out.add(gradient);
            }
        }
        return out;
    }

    /**
     * Returns an evaluator's value on one batch. DJL's accuracies return the number of correct
     * predictions from {@code evaluate}, so they are read through their accumulator, which gives
     * the fraction.
     */
    static NDArray evaluatorScalar(Evaluator evaluator, NDList labels, NDList predictions) {
        if (evaluator instanceof AbstractAccuracy) {
            evaluator.addAccumulator(BATCH_ACCUMULATOR); // (re)starts it at zero
            evaluator.updateAccumulator(BATCH_ACCUMULATOR, labels, predictions);
            float fraction = evaluator.getAccumulator(BATCH_ACCUMULATOR);
            return predictions.head().getManager().create(fraction);
        }
        return asScalar(evaluator.evaluate(labels, predictions));
    }

    /** {@return a value as a float32 scalar (the mean of a non-scalar)} */
    static NDArray asScalar(NDArray array) {
        NDArray scalar = array.getShape().isScalar() ? array : array.mean();
        return scalar.toType(DataType.FLOAT32, false).reshape(new Shape());
    }

    /** A step's values on the host. */
    record Values(
            float loss,
            float gradientNorm,
            Map<String, Float> components,
            Map<String, Float> evaluations,
            Map<String, Float> diagnostics) {}
}
