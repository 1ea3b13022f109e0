package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.tracker.Tracker;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeSequentialBlock;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.dispatch.TokenDispatcher;
import io.github.moge.core.routing.RoutingOrder;
import io.github.moge.core.routing.RoutingResult;

/**
 * The model of the MoGE paper's routing-invariance study (Section 2.4, Table 1, Fig. 2): each
 * flattened image is one token, routed by a single MoE layer with E experts (400 = a 20 x 20
 * topographic map), top-1, softmax then top-k, dropless, no balancing loss; every expert is d -&gt;
 * h -&gt; d (784 -&gt; 64 -&gt; 784 for Fashion-MNIST); a linear classifier follows.
 *
 * <pre>
 *   x [B, 784] -&gt; MoeBlock(E, h) -&gt; [B, 784] -&gt; Linear(classes) -&gt; logits [B, classes]
 * </pre>
 *
 * <p>The MoE and the MoGE model differ only by {@link Builder#optGroupSparse(Tracker)}: with it the
 * layer emits L_gs (filter f, default 3) at the schedule's sigma in training. The block returned by
 * {@link #getBlock()} is a {@link MoeSequentialBlock}, so its training output is {@code (logits,
 * auxiliary terms...)} for {@link io.github.moge.core.MoeLoss}; {@link #route(ParameterStore,
 * NDArray)} gives the routing maps for evaluation.
 */
public final class InvarianceModel {

    /** Experts of the paper's setting (a 20 x 20 map). */
    public static final int PAPER_EXPERTS = 400;

    /** Hidden width of every expert in the paper's setting. */
    public static final int PAPER_HIDDEN_SIZE = 64;

    private final MoeSequentialBlock block;
    private final MoeBlock moe;
    private final TopographicMap map;

    private InvarianceModel(Builder builder) {
        this.map = TopographicMap.forExperts(builder.experts);
        MoeBlock.Builder moeBuilder =
                MoeBlock.builder()
                        .setExperts(builder.experts)
                        .setHiddenSize(builder.hiddenSize)
                        .optTopK(1)
                        .optRoutingOrder(RoutingOrder.SOFTMAX_THEN_TOPK)
                        .optTrainingNoise(builder.trainingNoise)
                        .optCapacityFactor(0f)
                        .optExpertPath(builder.expertPath);
        if (builder.sigmaSchedule != null) {
            moeBuilder.optRegularizer(
                    GroupSparseRegularizer.builder()
                            .setExperts(builder.experts)
                            .optFilterSize(builder.filterSize)
                            .build(),
                    builder.sigmaSchedule);
        }
        this.moe = moeBuilder.build();
        this.block =
                new MoeSequentialBlock()
                        .add(moe)
                        .add(Linear.builder().setUnits(builder.classes).build());
    }

    /**
     * Creates a builder with the paper's Fashion-MNIST setting (400 experts, hidden 64, 10 classes,
     * training noise on, plain MoE).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the whole model: MoE layer then classifier. Initialise it with input shape [B, d].
     *
     * @return the block
     */
    public MoeSequentialBlock getBlock() {
        return block;
    }

    /**
     * Returns the MoE layer.
     *
     * @return the layer
     */
    public MoeBlock getMoeBlock() {
        return moe;
    }

    /**
     * Returns the topographic map the experts are laid out on (20 x 20 for 400 experts).
     *
     * @return the map
     */
    public TopographicMap getMap() {
        return map;
    }

    /**
     * Returns whether the layer carries the group-sparse regularizer (MoGE) or not (MoE).
     *
     * @return true for MoGE
     */
    public boolean isMoge() {
        return moe.getRegularizer() != null;
    }

    /**
     * Routes a batch of images in evaluation mode (no noise) and returns the routing decision; the
     * routing maps are {@link RoutingResult#getRoutingInput()}, shape [B, E].
     *
     * @param parameterStore the parameter store of the trained model
     * @param images flattened images [B, d]
     * @return the routing result
     */
    public RoutingResult route(ParameterStore parameterStore, NDArray images) {
        return moe.route(parameterStore, images, false);
    }

    /** Builds an {@link InvarianceModel}. */
    public static final class Builder {

        private int experts = PAPER_EXPERTS;
        private int hiddenSize = PAPER_HIDDEN_SIZE;
        private int classes = 10;
        private boolean trainingNoise = true;
        private int filterSize = 3;
        private Tracker sigmaSchedule;
        private TokenDispatcher.ExpertPath expertPath = TokenDispatcher.ExpertPath.AUTO;

        private Builder() {}

        /**
         * Sets the number of experts E (default 400); the map is {@link
         * TopographicMap#forExperts(int)}.
         *
         * @param experts E, &gt;= 1
         * @return this builder
         */
        public Builder optExperts(int experts) {
            if (experts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + experts);
            }
            this.experts = experts;
            return this;
        }

        /**
         * Sets the hidden width of every expert (default 64).
         *
         * @param hiddenSize h, &gt;= 1
         * @return this builder
         */
        public Builder optHiddenSize(int hiddenSize) {
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
            }
            this.hiddenSize = hiddenSize;
            return this;
        }

        /**
         * Sets the number of classes (default 10).
         *
         * @param classes the classifier's output width, &gt;= 1
         * @return this builder
         */
        public Builder optClasses(int classes) {
            if (classes < 1) {
                throw new IllegalArgumentException("classes must be >= 1, got " + classes);
            }
            this.classes = classes;
            return this;
        }

        /**
         * Sets how the layer runs its experts (default: chosen by the batch); see {@link
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
         * Sets whether the router adds N(0, (1/E)^2) noise to the logits in training (default true,
         * the V-MoE vision routing).
         *
         * @param trainingNoise whether to add noise
         * @return this builder
         */
        public Builder optTrainingNoise(boolean trainingNoise) {
            this.trainingNoise = trainingNoise;
            return this;
        }

        /**
         * Sets the filter size f of the group-sparse regularizer (default 3; used only with {@link
         * #optGroupSparse(Tracker)}).
         *
         * @param filterSize f, &gt;= 1
         * @return this builder
         */
        public Builder optFilterSize(int filterSize) {
            if (filterSize < 1) {
                throw new IllegalArgumentException("filterSize must be >= 1, got " + filterSize);
            }
            this.filterSize = filterSize;
            return this;
        }

        /**
         * Makes the model MoGE: the layer emits L_gs with sigma from this schedule (e.g. a {@link
         * io.github.moge.core.SigmaSchedule}); {@code null} keeps plain MoE (the default).
         *
         * @param sigmaSchedule sigma as a function of the optimizer step, or null
         * @return this builder
         */
        public Builder optGroupSparse(Tracker sigmaSchedule) {
            this.sigmaSchedule = sigmaSchedule;
            return this;
        }

        /**
         * Builds the model.
         *
         * @return the model
         * @throws IllegalArgumentException if the map of E experts is smaller than the filter
         */
        public InvarianceModel build() {
            return new InvarianceModel(this);
        }
    }
}
