package io.github.moge.core;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import io.github.moge.core.balance.BalanceLoss;
import io.github.moge.core.dispatch.DispatchPlan;
import io.github.moge.core.dispatch.TokenDispatcher;
import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.experts.StackedExperts;
import io.github.moge.core.routing.Router;
import io.github.moge.core.routing.RoutingOrder;
import io.github.moge.core.routing.RoutingResult;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A Mixture-of-Experts feed-forward layer: {@link Router} + {@link StackedExperts} + {@link
 * TokenDispatcher}. It maps an input of shape [..., d] to the same shape and can stand wherever a
 * feed-forward block stands.
 *
 * <p>A MoGE layer is the same block with a {@link GroupSparseRegularizer} configured: in training
 * it then also emits L_gs of the routing input z at the current sigma of its schedule. The
 * auxiliary terms (the balancing loss if one is set, and L_gs) are appended to the output as named
 * scalars, see {@link AuxiliaryTerms}; {@link MoeLoss} weights and adds them. Outside training the
 * output is the head alone.
 *
 * <p>The schedule position is the number of optimizer steps taken, pushed in by {@link
 * SigmaScheduleListener} (or {@link #setScheduleStep(int)} in a hand-written loop).
 *
 * <p>Its length is the DJL block (forward, initialisation, shapes) plus its {@link Builder}, one
 * documented setter per option of the layer.
 */
public final class MoeBlock extends AbstractBlock {

    /**
     * Version 2 adds the schedule position to the block's metadata, so that a model saved with
     * {@code Model.save} and loaded with {@code Model.load} (a user's own loop, no project
     * checkpoint) continues with the sigma it stopped at; version 1 files still load (step 0).
     */
    private static final byte VERSION = 2;

    private final int numExperts;
    private final Router router;
    private final StackedExperts experts;
    private final TokenDispatcher dispatcher;
    private final BalanceLoss balanceLoss;
    private final GroupSparseRegularizer regularizer;
    private final Tracker sigmaSchedule;
    private volatile int scheduleStep;
    private volatile boolean routerInputProbe;

    private MoeBlock(Builder builder) {
        super(VERSION);
        this.numExperts = builder.experts;
        this.router =
                addChildBlock(
                        "router",
                        Router.builder()
                                .setExperts(builder.experts)
                                .setTopK(builder.topK)
                                .optOrder(builder.order)
                                .optTrainingNoise(builder.trainingNoise)
                                .optRenormalize(builder.renormalize)
                                .optBias(builder.routerBias)
                                .build());
        this.experts =
                addChildBlock(
                        "experts",
                        StackedExperts.builder()
                                .setExperts(builder.experts)
                                .setHiddenSize(builder.hiddenSize)
                                .optDropout(builder.dropout)
                                .optActivation(builder.activation)
                                .build());
        this.dispatcher =
                TokenDispatcher.builder()
                        .optCapacityFactor(builder.capacityFactor)
                        .optBatchPrioritized(builder.batchPrioritized)
                        .optExpertPath(builder.expertPath)
                        .build();
        this.balanceLoss = builder.balanceLoss;
        this.regularizer = builder.regularizer;
        this.sigmaSchedule = builder.sigmaSchedule;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray input = inputs.head();
        Shape shape = input.getShape();
        NDArray tokens = input.reshape(-1, shape.get(shape.dimension() - 1));
        RoutingResult routing = router.route(parameterStore, tokens, training);
        DispatchPlan plan = dispatcher.plan(routing.getExperts(), routing.getWeights(), numExperts);
        NDArray combined =
                dispatcher.forward(
                        tokens, routing.getWeights(), plan, experts, parameterStore, training);
        NDList result = new NDList(combined.reshape(shape));
        if (training) {
            if (balanceLoss != null) {
                result.add(
                        AuxiliaryTerms.named(balanceLoss.compute(routing), AuxiliaryTerms.BALANCE));
            }
            if (regularizer != null) {
                NDArray groupSparse = regularizer.compute(routing.getRoutingInput(), getSigma());
                result.add(AuxiliaryTerms.named(groupSparse, AuxiliaryTerms.GROUP_SPARSE));
                if (routerInputProbe) {
                    result.add(
                            AuxiliaryTerms.named(
                                    tokens.stopGradient(), AuxiliaryTerms.ROUTER_INPUT));
                }
            }
        }
        return result;
    }

    /**
     * Routes tokens without running the experts, for diagnostics (routing maps, expert usage).
     *
     * @param parameterStore the parameter store
     * @param tokens the tokens, shape [N, d]
     * @param training whether to route as in training (noise)
     * @return the routing decision
     */
    public RoutingResult route(ParameterStore parameterStore, NDArray tokens, boolean training) {
        return router.route(parameterStore, tokens, training);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long width = inputShapes[0].get(inputShapes[0].dimension() - 1);
        router.initialize(manager, dataType, new Shape(1, width));
        experts.initialize(manager, dataType, new Shape(numExperts, 1, width));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /**
     * Sets the schedule position: the number of optimizer steps taken so far.
     *
     * @param step the step, &gt;= 0
     */
    public void setScheduleStep(int step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        this.scheduleStep = step;
    }

    /**
     * Writes the input shapes and the schedule position. The position lives in the block, not in a
     * model property, because it decides what the block's forward computes, and the block's
     * metadata travels with every way of saving it ({@code Model.save}, {@code
     * Block.saveParameters}).
     */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
        os.writeInt(scheduleStep);
    }

    /** {@inheritDoc} */
    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        if (loadVersion != 1 && loadVersion != VERSION) {
            throw new MalformedModelException(
                    "MoeBlock parameters of version "
                            + loadVersion
                            + "; this library reads versions 1 and "
                            + VERSION);
        }
        readInputShapes(is);
        if (loadVersion >= 2) {
            int step = is.readInt();
            if (step < 0) {
                throw new MalformedModelException("a negative schedule step in the file: " + step);
            }
            setScheduleStep(step);
        }
    }

    /**
     * Makes a MoGE layer also emit, in training, the tokens it routed (detached) as an {@link
     * AuxiliaryTerms#ROUTER_INPUT} entry, for {@link io.github.moge.core.metrics.RegularizerPull}.
     * It changes neither the output nor the gradients; a plain MoE layer ignores it.
     *
     * @param probe whether to emit the router input
     */
    public void setRouterInputProbe(boolean probe) {
        this.routerInputProbe = probe;
    }

    /** {@return the schedule position (optimizer steps taken)} */
    public int getScheduleStep() {
        return scheduleStep;
    }

    /** {@return the regularizer's sigma schedule, or null for a plain MoE layer} */
    public Tracker getSigmaSchedule() {
        return sigmaSchedule;
    }

    /** {@return the sigma the regularizer uses now, or NaN without a regularizer} */
    public float getSigma() {
        return sigmaSchedule == null ? Float.NaN : sigmaSchedule.getNewValue(scheduleStep);
    }

    /** {@return the router} */
    public Router getRouter() {
        return router;
    }

    /** {@return the experts} */
    public StackedExperts getExperts() {
        return experts;
    }

    /** {@return the dispatcher} */
    public TokenDispatcher getDispatcher() {
        return dispatcher;
    }

    /** {@return the regularizer, or {@code null} for a plain MoE layer} */
    public GroupSparseRegularizer getRegularizer() {
        return regularizer;
    }

    /** {@return the balancing loss, or {@code null} when none is computed} */
    public BalanceLoss getBalanceLoss() {
        return balanceLoss;
    }

    /** {@return the number of experts E} */
    public int getNumExperts() {
        return numExperts;
    }

    /**
     * Builds a {@link MoeBlock}. A builder is also the template of a model's MoE layers: a model
     * that builds several layers from one ({@code template.copy().setHiddenSize(h).build()} per
     * layer) leaves the caller's builder unchanged, and every layer gets its own router and
     * experts. The balancing loss and the regularizer are immutable and shared by the layers built
     * from one template.
     */
    public static final class Builder {

        private int experts;
        private int hiddenSize;
        private int topK = 1;
        private RoutingOrder order = RoutingOrder.SOFTMAX_THEN_TOPK;
        private boolean trainingNoise;
        private boolean renormalize;
        private float capacityFactor;
        private boolean batchPrioritized = true;
        private TokenDispatcher.ExpertPath expertPath = TokenDispatcher.ExpertPath.AUTO;
        private float dropout;
        private ExpertActivation activation = ExpertActivation.GELU;
        private boolean routerBias;
        private BalanceLoss balanceLoss;
        private GroupSparseRegularizer regularizer;
        private Tracker sigmaSchedule;

        Builder() {}

        /**
         * Returns a new builder with the same settings, to build one layer of a template without
         * changing it.
         *
         * @return the copy
         */
        public Builder copy() {
            Builder copy = new Builder();
            copy.experts = experts;
            copy.hiddenSize = hiddenSize;
            copy.topK = topK;
            copy.order = order;
            copy.trainingNoise = trainingNoise;
            copy.renormalize = renormalize;
            copy.capacityFactor = capacityFactor;
            copy.batchPrioritized = batchPrioritized;
            copy.expertPath = expertPath;
            copy.dropout = dropout;
            copy.activation = activation;
            copy.routerBias = routerBias;
            copy.balanceLoss = balanceLoss;
            copy.regularizer = regularizer;
            copy.sigmaSchedule = sigmaSchedule;
            return copy;
        }

        /**
         * Sets the number of experts E.
         *
         * @param experts E, at least 1
         * @return this builder
         */
        public Builder setExperts(int experts) {
            if (experts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + experts);
            }
            this.experts = experts;
            return this;
        }

        /**
         * Sets the hidden width h of every expert (d -&gt; h -&gt; d).
         *
         * @param hiddenSize h, at least 1
         * @return this builder
         */
        public Builder setHiddenSize(int hiddenSize) {
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
            }
            this.hiddenSize = hiddenSize;
            return this;
        }

        /**
         * Sets k, the number of experts per token (default 1).
         *
         * @param topK k, 1..E
         * @return this builder
         */
        public Builder optTopK(int topK) {
            if (topK < 1) {
                throw new IllegalArgumentException("topK must be >= 1, got " + topK);
            }
            this.topK = topK;
            return this;
        }

        /**
         * Sets the routing order (default softmax then top-k, the vision setting).
         *
         * @param order the order
         * @return this builder
         */
        public Builder optRoutingOrder(RoutingOrder order) {
            if (order == null) {
                throw new IllegalArgumentException("routing order must not be null");
            }
            this.order = order;
            return this;
        }

        /**
         * Adds N(0, (1/E)^2) noise to the logits in training (default off; V-MoE turns it on).
         *
         * @param trainingNoise whether to add noise
         * @return this builder
         */
        public Builder optTrainingNoise(boolean trainingNoise) {
            this.trainingNoise = trainingNoise;
            return this;
        }

        /**
         * Renormalises the top-k weights to sum to one (default off).
         *
         * @param renormalize whether to renormalise
         * @return this builder
         */
        public Builder optRenormalize(boolean renormalize) {
            this.renormalize = renormalize;
            return this;
        }

        /**
         * Sets the capacity factor C: each expert gets k * ceil(C * N / E) slots; C &lt;= 0 (the
         * default) means dropless.
         *
         * @param capacityFactor C, finite
         * @return this builder
         */
        public Builder optCapacityFactor(float capacityFactor) {
            if (!Float.isFinite(capacityFactor)) {
                throw new IllegalArgumentException(
                        "capacityFactor must be finite (<= 0 for dropless), got " + capacityFactor);
            }
            this.capacityFactor = capacityFactor;
            return this;
        }

        /**
         * Fills expert slots in order of the tokens' top routing weight (default on) rather than in
         * token order.
         *
         * @param batchPrioritized whether to use batch prioritized routing
         * @return this builder
         */
        public Builder optBatchPrioritized(boolean batchPrioritized) {
            this.batchPrioritized = batchPrioritized;
            return this;
        }

        /**
         * Sets how the experts run on the routed tokens (default: chosen by the batch); see {@link
         * TokenDispatcher.ExpertPath}.
         *
         * @param path the path
         * @return this builder
         */
        public Builder optExpertPath(TokenDispatcher.ExpertPath path) {
            if (path == null) {
                throw new IllegalArgumentException("expertPath must not be null");
            }
            this.expertPath = path;
            return this;
        }

        /**
         * Sets the dropout inside each expert (default 0).
         *
         * @param dropout the rate, 0 &lt;= p &lt; 1
         * @return this builder
         */
        public Builder optDropout(float dropout) {
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
            this.dropout = dropout;
            return this;
        }

        /**
         * Sets the activation inside each expert, before its dropout (default {@link
         * ExpertActivation#GELU}).
         *
         * @param activation the activation
         * @return this builder
         */
        public Builder optExpertActivation(ExpertActivation activation) {
            if (activation == null) {
                throw new IllegalArgumentException("expert activation must not be null");
            }
            this.activation = activation;
            return this;
        }

        /**
         * Gives the router a per-expert bias, h = x W + b (default off: h = x W).
         *
         * @param routerBias whether the router has a bias
         * @return this builder
         */
        public Builder optRouterBias(boolean routerBias) {
            this.routerBias = routerBias;
            return this;
        }

        /**
         * Sets the balancing loss the layer emits in training (default none).
         *
         * @param balanceLoss the loss, or null for none
         * @return this builder
         */
        public Builder optBalanceLoss(BalanceLoss balanceLoss) {
            this.balanceLoss = balanceLoss;
            return this;
        }

        /**
         * Makes this a MoGE layer: emit L_gs of the routing input at the schedule's sigma in
         * training.
         *
         * @param regularizer the regularizer; its map must hold E cells
         * @param sigmaSchedule sigma as a function of the optimizer step, e.g. a {@link
         *     SigmaSchedule}
         * @return this builder
         */
        public Builder optRegularizer(GroupSparseRegularizer regularizer, Tracker sigmaSchedule) {
            if (regularizer == null || sigmaSchedule == null) {
                throw new IllegalArgumentException(
                        "regularizer and sigmaSchedule must both be given");
            }
            this.regularizer = regularizer;
            this.sigmaSchedule = sigmaSchedule;
            return this;
        }

        /**
         * Builds the block.
         *
         * @return the block
         */
        public MoeBlock build() {
            if (experts < 1 || hiddenSize < 1) {
                throw new IllegalArgumentException(
                        "experts and hiddenSize must be set (>= 1) before build()");
            }
            if (topK > experts) {
                throw new IllegalArgumentException(
                        "topK must be in 1.." + experts + " (the number of experts), got " + topK);
            }
            if (regularizer != null && regularizer.getMap().size() != experts) {
                throw new IllegalArgumentException(
                        "regularizer map "
                                + regularizer.getMap()
                                + " holds "
                                + regularizer.getMap().size()
                                + " cells but the layer has "
                                + experts
                                + " experts");
            }
            return new MoeBlock(this);
        }
    }
}
