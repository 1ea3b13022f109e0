package io.github.moge.core.metrics;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.ops.ScalarOps;
import io.github.moge.core.routing.Router;
import io.github.moge.core.training.StepContext;
import io.github.moge.core.training.StepDiagnostic;
import io.github.moge.core.training.StepOutput;
import java.util.ArrayList;
import java.util.List;

/**
 * How hard the group-sparse regularizer pulls on the routers, next to the task: a {@link
 * StepDiagnostic} that writes three columns to {@code metrics.csv} every {@code every} steps (left
 * empty in between),
 *
 * <ul>
 *   <li>{@code router_grad_gs}: ||w * dL_gs/dW|| over the gate weights W of every MoGE layer
 *       (global L2 norm), w the {@link MoeLoss}'s group-sparse weight: the regularizer's share of
 *       the routers' gradient;
 *   <li>{@code router_grad_task}: ||G - w * dL_gs/dW|| with G the gates' gradient of the step's
 *       loss (every MoE layer's gate): the rest of the loss (task and balancing terms);
 *   <li>{@code gs_pull}: their ratio, gs / task (0 for a plain MoE model).
 * </ul>
 *
 * <p>Each MoGE layer's share is the derivative of its own L_gs through its router alone, d/dW
 * L_gs(softmax(X W)) with the layer's input X held fixed, at the sigma the step used: it is
 * computed after the step's backward pass by differentiating a detached copy of the gate, so the
 * step's gradients and the trajectory are unchanged. (In a model with several MoGE layers, a later
 * layer's L_gs also reaches earlier gates through the layers in between; that part counts as "task"
 * here.) On a measured step the MoGE layers emit their router input ({@link
 * MoeBlock#setRouterInputProbe(boolean)}); the extra cost is about two router products per layer.
 */
public final class RegularizerPull implements StepDiagnostic {

    /** Column of the regularizer's gradient norm on the gates. */
    public static final String GS = "router_grad_gs";

    /** Column of the rest of the loss's gradient norm on the gates. */
    public static final String TASK = "router_grad_task";

    /** Column of the ratio gs / task. */
    public static final String PULL = "gs_pull";

    private final MoeLoss loss;
    private final int every;

    /**
     * Creates the diagnostic for a trainer whose loss is a {@link MoeLoss}; its group-sparse weight
     * scales the regularizer's gradient.
     *
     * @param every measure every this many steps (step 0 included); 0 never measures but keeps the
     *     columns
     */
    public RegularizerPull(int every) {
        this(null, every);
    }

    /**
     * Creates the diagnostic with the loss whose group-sparse weight scales the regularizer's
     * gradient, for a trainer whose loss wraps it.
     *
     * @param loss the loss, or null to take the trainer's
     * @param every measure every this many steps (step 0 included); 0 never measures but keeps the
     *     columns
     */
    public RegularizerPull(MoeLoss loss, int every) {
        if (every < 0) {
            throw new IllegalArgumentException("every must be >= 0 (0: never), got " + every);
        }
        this.loss = loss;
        this.every = every;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return List.of(TASK, GS, PULL);
    }

    /** {@inheritDoc} */
    @Override
    public void beforeForward(Trainer trainer, long step) {
        boolean measure = measures(step);
        for (MoeBlock block : SigmaScheduleListener.findMoeBlocks(trainer.getModel().getBlock())) {
            block.setRouterInputProbe(measure && block.getRegularizer() != null);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDList measure(Trainer trainer, StepOutput output, StepContext context) {
        if (!measures(context.getStep())) {
            return null;
        }
        float weight = weight(trainer);
        List<MoeBlock> blocks = SigmaScheduleListener.findMoeBlocks(trainer.getModel().getBlock());
        List<MoeBlock> moge = new ArrayList<>();
        for (MoeBlock block : blocks) {
            if (block.getRegularizer() != null) {
                moge.add(block);
            }
        }
        NDList inputs = AuxiliaryTerms.all(output.getPredictions(), AuxiliaryTerms.ROUTER_INPUT);
        if (inputs.size() != moge.size()) {
            throw new IllegalStateException(
                    "the model output holds "
                            + inputs.size()
                            + " router inputs for "
                            + moge.size()
                            + " MoGE layers: a block between the MoE layers and the output must"
                            + " pass on every auxiliary entry (AuxiliaryTerms.of)");
        }
        NDArray gsSquared = context.getManager().zeros(new Shape());
        NDArray taskSquared = gsSquared;
        int next = 0;
        for (MoeBlock block : blocks) {
            // getGradient() wraps the gradient on the parameter's long-lived manager: free it with
            // the step.
            NDArray total = block.getRouter().getGate().getArray().getGradient();
            total.attach(context.getManager());
            NDArray task = total;
            if (block.getRegularizer() != null) {
                NDArray gs = ownGradient(block, inputs.get(next++), weight, context.getManager());
                gsSquared = gsSquared.add(gs.square().sum());
                task = total.sub(gs);
            }
            taskSquared = taskSquared.add(task.square().sum());
        }
        NDArray gsNorm = gsSquared.sqrt();
        NDArray taskNorm = taskSquared.sqrt();
        return new NDList(taskNorm, gsNorm, gsNorm.div(taskNorm));
    }

    private boolean measures(long step) {
        return every > 0 && step % every == 0;
    }

    private float weight(Trainer trainer) {
        if (loss != null) {
            return loss.getGroupSparseWeight();
        }
        if (!(trainer.getLoss() instanceof MoeLoss)) {
            throw new IllegalStateException(
                    "RegularizerPull takes the group-sparse weight from the trainer's MoeLoss, but"
                            + " the loss is "
                            + trainer.getLoss().getClass().getName()
                            + ": pass the MoeLoss to the constructor");
        }
        return ((MoeLoss) trainer.getLoss()).getGroupSparseWeight();
    }

    /**
     * w * d/dW L_gs(softmax(X W)) of one layer at the sigma of this step, for a detached copy of W.
     */
    private NDArray ownGradient(
            MoeBlock block, NDArray routerInput, float weight, NDManager scope) {
        Router router = block.getRouter();
        // Outside the step's gradient collector, so the copy is a new leaf, not a node of the
        // step's graph.
        NDArray copy = router.getGate().getArray().duplicate();
        copy.attach(scope);
        copy.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray z = Router.routingInput(router.logits(routerInput.stopGradient(), copy));
            NDArray groupSparse = block.getRegularizer().compute(z, block.getSigma());
            collector.backward(ScalarOps.mul(groupSparse, weight));
        }
        NDArray gradient = copy.getGradient();
        gradient.attach(scope);
        return gradient;
    }
}
