package io.github.moge.vision.train;

import ai.djl.training.Trainer;
import io.github.moge.core.training.EpochEvaluation;
import io.github.moge.core.training.data.BatchSource;
import java.io.IOException;
import java.util.List;

/**
 * Test Acc@1 and Acc@5 after every epoch ({@link EpochMetrics#ACC1}, {@link EpochMetrics#ACC5}), on
 * evaluation batches that are already preprocessed (padded, normalised).
 */
final class TestAccuracyEvaluation implements EpochEvaluation {

    private final BatchSource test;

    TestAccuracyEvaluation(BatchSource test) {
        this.test = test;
    }

    @Override
    public List<String> names() {
        return List.of(EpochMetrics.ACC1, EpochMetrics.ACC5);
    }

    @Override
    public double[] evaluate(Trainer trainer, int epoch) throws IOException {
        // The test batches are not shuffled: every epoch sees the same order.
        AccuracyCounter accuracy =
                AccuracyCounter.measure(trainer::evaluate, test, trainer.getManager());
        return new double[] {accuracy.top1(), accuracy.top5()};
    }
}
