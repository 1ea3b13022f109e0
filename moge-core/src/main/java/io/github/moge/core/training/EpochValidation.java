package io.github.moge.core.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.evaluator.Evaluator;
import io.github.moge.core.training.data.RunSeeds;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run measures after every epoch: the loss and evaluators on the validation batches (if
 * any), then the {@link EpochEvaluation}s, each part after reseeding the engine for validation.
 */
final class EpochValidation {

    private final RunSpec spec;

    EpochValidation(RunSpec spec) {
        this.spec = spec;
    }

    /**
     * Measures the model after an epoch.
     *
     * @param trainer the trainer
     * @param epoch the epoch just finished
     * @return "loss" and the evaluators (with validation data), then the epoch evaluations' values
     * @throws IOException if data cannot be read
     */
    Map<String, Double> measure(Trainer trainer, int epoch) throws IOException {
        Map<String, Double> validation =
                spec.validationData == null ? new LinkedHashMap<>() : validate(trainer, epoch);
        if (!spec.epochEvaluations.isEmpty()) {
            Engine.getInstance().setRandomSeed(RunSeeds.validationSeed(spec.seed, epoch));
            for (EpochEvaluation evaluation : spec.epochEvaluations) {
                double[] values = evaluation.evaluate(trainer, epoch);
                List<String> names = evaluation.names();
                if (values.length != names.size()) {
                    throw new IllegalStateException(
                            "epoch evaluation returned " + values.length + " values for " + names);
                }
                for (int i = 0; i < values.length; i++) {
                    validation.put(names.get(i), values[i]);
                }
            }
        }
        return validation;
    }

    private Map<String, Double> validate(Trainer trainer, int epoch) throws IOException {
        Engine.getInstance().setRandomSeed(RunSeeds.validationSeed(spec.seed, epoch));
        List<Evaluator> evaluators = spec.evaluators;
        double samples = 0;
        double[] totals = new double[1 + evaluators.size()];
        for (int i = 0; i < spec.validationData.batchesPerEpoch(); i++) {
            try (NDManager scope = trainer.getManager().newSubManager()) {
                Batch batch = spec.validationData.getBatch(scope, spec.seed, epoch, i);
                NDList predictions = trainer.evaluate(batch.getData());
                NDList scalars = new NDList();
                scalars.add(
                        StepMetrics.asScalar(spec.loss.evaluate(batch.getLabels(), predictions)));
                for (Evaluator evaluator : evaluators) {
                    scalars.add(
                            StepMetrics.evaluatorScalar(evaluator, batch.getLabels(), predictions));
                }
                float[] values = NDArrays.stack(scalars).toFloatArray();
                for (int j = 0; j < values.length; j++) {
                    totals[j] += (double) values[j] * batch.getSize();
                }
                samples += batch.getSize();
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", totals[0] / samples);
        for (int j = 0; j < evaluators.size(); j++) {
            out.put(evaluators.get(j).getName(), totals[1 + j] / samples);
        }
        return out;
    }
}
