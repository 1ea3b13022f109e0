package io.github.moge.core.metrics;

import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.training.StepContext;
import io.github.moge.core.training.StepDiagnostic;
import io.github.moge.core.training.StepOutput;
import java.util.List;

/**
 * The sigma of the group-sparse regularizer at each step, as the {@code sigma} column of {@code
 * metrics.csv}: the value the step's forward pass used ({@link MoeBlock#getSigma()} of the model's
 * first MoGE layer; every layer of one model follows the same schedule position). The cell stays
 * empty for a model without a regularizer. It reads no array and changes nothing.
 */
public final class SigmaColumn implements StepDiagnostic {

    /** The column's name. */
    public static final String NAME = "sigma";

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return List.of(NAME);
    }

    /** {@inheritDoc} */
    @Override
    public NDList measure(Trainer trainer, StepOutput output, StepContext context) {
        for (MoeBlock block : SigmaScheduleListener.findMoeBlocks(trainer.getModel().getBlock())) {
            if (block.getRegularizer() != null) {
                return new NDList(context.getManager().create(block.getSigma()));
            }
        }
        return null;
    }
}
