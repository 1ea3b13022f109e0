package io.github.moge.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.BatchScope;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.balance.SwitchLoss;
import io.github.moge.core.experts.ExpertActivation;
import io.github.moge.core.ops.RowGather;
import io.github.moge.core.routing.RoutingOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A word-level Transformer language model with an MoE (SMoE), MoGE (SMoGE) or dense feed-forward
 * sub-layer in every layer, attention over the current block plus a cached memory of the preceding
 * tokens, and learned relative position embeddings, following the MomentumSMoE reference language
 * model.
 *
 * <pre>
 *   x_0 = Embedding(tokens)                       (no scaling, no dropout)
 *   x_{l+1} = TransformerLmLayer_l(x_l, memory_l, keyPe, m_{l-1})
 *   logits = x_L W_out^T + b_out                  (untied output layer, as the reference)
 * </pre>
 *
 * <p>Inputs: {@code (tokens [B, M], memory_0 [B, S, D], ..., memory_{n-1} [B, S, D])} with S the
 * attention span; {@link #initialMemory} gives the zero memory of a stream's first block (the
 * reference starts from zeros too). Output: {@code (logits [B, M, V], nextMemory_0, ...,
 * nextMemory_{n-1}, auxiliary terms...)}. The next memory of layer l is the last S rows of {@code
 * [memory_l; x_l]} with the gradient stopped, so a training loop feeds it to the next block of the
 * same streams. Running two blocks one after the other this way gives exactly the outputs of
 * running their concatenation in one block.
 *
 * <p>MoE layers route top-k on the raw logits then softmax over the k ({@link
 * RoutingOrder#TOPK_THEN_SOFTMAX}), dropless; a MoGE model adds the group-sparse regularizer on the
 * softmax over all E experts. The expert activation ({@link ExpertActivation}: GELU by default,
 * ReLU as the reference), the router's bias and the initialisation ({@link LmInitialization}: DJL's
 * by default, PyTorch's as the reference) are options; the presets choose the reference's.
 *
 * <p>Its length is the model (embedding, layers, momentum state, head) plus its {@link Builder},
 * one documented setter per option.
 */
public final class MoeTransformerLm extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int vocabularySize;
    private final int width;
    private final int heads;
    private final int span;
    private final Parameter embedding;
    private final Parameter keyPe;
    private final List<TransformerLmLayer> layers = new ArrayList<>();
    private final Linear output;
    private final MomentumRule rule;

    private MoeTransformerLm(Builder builder) {
        super(VERSION);
        this.vocabularySize = builder.vocabularySize;
        this.width = builder.width;
        this.heads = builder.heads;
        this.span = builder.span;
        this.rule = builder.rule;
        this.embedding =
                addParameter(
                        Parameter.builder()
                                .setName("embedding")
                                .setType(Parameter.Type.WEIGHT)
                                .optInitializer(new NormalInitializer(1f))
                                .optShape(new Shape(vocabularySize, width))
                                .build());
        this.keyPe =
                addParameter(
                        Parameter.builder()
                                .setName("keyPe")
                                .setType(Parameter.Type.WEIGHT)
                                .optInitializer(new NormalInitializer(1f))
                                .optShape(new Shape(width / heads, span))
                                .build());
        for (int l = 0; l < builder.layers; l++) {
            RelativeMemoryAttention attention =
                    RelativeMemoryAttention.builder()
                            .setWidth(width)
                            .optHeads(heads)
                            .optDropout(builder.dropout)
                            .build();
            Block ffn = builder.feedForward(l);
            layers.add(
                    addChildBlock(
                            "layer" + l,
                            new TransformerLmLayer(l, attention, ffn, rule, builder.dropout)));
        }
        this.output = addChildBlock("output", Linear.builder().setUnits(vocabularySize).build());
        builder.initialization.apply(this);
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
        NDArray tokens = inputs.get(0);
        if (inputs.size() != layers.size() + 1) {
            throw new IllegalArgumentException(
                    "expected (tokens, "
                            + layers.size()
                            + " memories), got "
                            + inputs.size()
                            + " inputs; use initialMemory() for a stream's first block");
        }
        long batch = tokens.getShape().get(0);
        long block = tokens.getShape().get(1);
        NDArray table = parameterStore.getValue(embedding, tokens.getDevice(), training);
        NDArray pe = parameterStore.getValue(keyPe, tokens.getDevice(), training);
        // Not table.get(NDIndex): its CPU backward sums a frequent word's gradients with atomic
        // adds in a thread-timing order, so two runs with one seed would differ in the last bits.
        NDArray rows =
                RowGather.rows(
                        BatchScope.view(table, tokens),
                        tokens.reshape(-1).toType(DataType.INT64, false));
        NDArray x = rows.reshape(batch, block, width);
        NDList nextMemory = new NDList();
        NDList terms = new NDList();
        NDArray momentum = null;
        for (int l = 0; l < layers.size(); l++) {
            NDArray memory = inputs.get(l + 1);
            nextMemory.add(memory.concat(x, 1).get(new NDIndex(":, {}:", block)).stopGradient());
            NDList layerInputs = new NDList(x, memory, pe);
            if (momentum != null) {
                layerInputs.add(momentum);
            }
            NDList out = layers.get(l).forward(parameterStore, layerInputs, training);
            x = out.get(0);
            momentum = rule.carriesMomentum() ? out.get(1) : null;
            terms.addAll(AuxiliaryTerms.of(out));
        }
        NDArray logits = output.forward(parameterStore, new NDList(x), training).singletonOrThrow();
        return new NDList(logits).addAll(nextMemory).addAll(terms);
    }

    /**
     * Returns the zero memory for the first block of B streams.
     *
     * @param manager where to create it (the batch's manager)
     * @param batch B
     * @return one [B, S, D] zero array per layer
     */
    public NDList initialMemory(NDManager manager, long batch) {
        NDList memory = new NDList();
        for (int l = 0; l < layers.size(); l++) {
            memory.add(manager.zeros(new Shape(batch, span, width)));
        }
        return memory;
    }

    /**
     * Returns the input shapes for a batch, for {@code Trainer.initialize}.
     *
     * @param batch B
     * @param block M, tokens per row
     * @return the shapes of tokens and memories
     */
    public Shape[] inputShapes(long batch, long block) {
        Shape[] shapes = new Shape[layers.size() + 1];
        shapes[0] = new Shape(batch, block);
        for (int l = 0; l < layers.size(); l++) {
            shapes[l + 1] = new Shape(batch, span, width);
        }
        return shapes;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long batch = inputShapes[0].get(0);
        long block = inputShapes[0].get(1);
        Shape x = new Shape(batch, block, width);
        Shape memory = new Shape(batch, span, width);
        Shape pe = new Shape(width / heads, span);
        for (TransformerLmLayer layer : layers) {
            layer.initialize(manager, dataType, x, memory, pe);
        }
        output.initialize(manager, dataType, new Shape(1, width));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long batch = inputShapes[0].get(0);
        long block = inputShapes[0].get(1);
        Shape[] shapes = new Shape[layers.size() + 1];
        shapes[0] = new Shape(batch, block, vocabularySize);
        for (int l = 0; l < layers.size(); l++) {
            shapes[l + 1] = new Shape(batch, span, width);
        }
        return shapes;
    }

    /** {@return the number of layers, which is also the number of memory arrays} */
    public int getLayerCount() {
        return layers.size();
    }

    /** {@return the layers} */
    public List<TransformerLmLayer> getLayers() {
        return Collections.unmodifiableList(layers);
    }

    /** {@return the vocabulary size V} */
    public int getVocabularySize() {
        return vocabularySize;
    }

    /** {@return the model width D} */
    public int getWidth() {
        return width;
    }

    /** {@return the attention span S (the memory length)} */
    public int getSpan() {
        return span;
    }

    /** {@return the momentum rule} */
    public MomentumRule getRule() {
        return rule;
    }

    /** Builds a {@link MoeTransformerLm}. */
    public static final class Builder {

        private int vocabularySize;
        private int width = 128;
        private int layers = 3;
        private int heads = 8;
        private int span = 256;
        private int hiddenSize = 128;
        private int experts = 16;
        private int topK = 2;
        private float dropout;
        private boolean switchBalance;
        private boolean trainingNoise;
        private Tracker sigmaSchedule;
        private MomentumRule rule = MomentumRule.plain();
        private ExpertActivation activation = ExpertActivation.GELU;
        private boolean routerBias;
        private LmInitialization initialization = LmInitialization.DJL;

        Builder() {}

        /**
         * Sets the vocabulary size V (required).
         *
         * @param vocabularySize V &gt;= 2
         * @return this builder
         */
        public Builder setVocabularySize(int vocabularySize) {
            if (vocabularySize < 2) {
                throw new IllegalArgumentException(
                        "vocabularySize must be >= 2, got " + vocabularySize);
            }
            this.vocabularySize = vocabularySize;
            return this;
        }

        /**
         * Sets the model width D (default 128).
         *
         * @param width D
         * @return this builder
         */
        public Builder optWidth(int width) {
            this.width = atLeastOne("width", width);
            return this;
        }

        /**
         * Sets the number of layers (default 3).
         *
         * @param layers the count
         * @return this builder
         */
        public Builder optLayers(int layers) {
            this.layers = atLeastOne("layers", layers);
            return this;
        }

        /**
         * Sets the number of attention heads (default 8).
         *
         * @param heads H, dividing D
         * @return this builder
         */
        public Builder optHeads(int heads) {
            this.heads = atLeastOne("heads", heads);
            return this;
        }

        /**
         * Sets the attention span S, the number of preceding tokens each token attends to and the
         * memory length (default 256).
         *
         * @param span S
         * @return this builder
         */
        public Builder optSpan(int span) {
            this.span = atLeastOne("span", span);
            return this;
        }

        /**
         * Sets the hidden width of each expert (default 128). The dense model uses topK times this.
         *
         * @param hiddenSize h
         * @return this builder
         */
        public Builder optHiddenSize(int hiddenSize) {
            this.hiddenSize = atLeastOne("hiddenSize", hiddenSize);
            return this;
        }

        /**
         * Sets the number of experts E (default 16); 0 builds the dense model with a feed-forward
         * of width topK * hiddenSize, the same active parameters per token.
         *
         * @param experts E, or 0 for dense
         * @return this builder
         */
        public Builder optExperts(int experts) {
            if (experts < 0) {
                throw new IllegalArgumentException(
                        "experts must be >= 0 (0 = dense), got " + experts);
            }
            this.experts = experts;
            return this;
        }

        /**
         * Sets k, experts per token (default 2).
         *
         * @param topK k
         * @return this builder
         */
        public Builder optTopK(int topK) {
            this.topK = atLeastOne("topK", topK);
            return this;
        }

        /**
         * Sets the dropout rate used on attention probabilities, inside experts and on the
         * feed-forward output (default 0).
         *
         * @param dropout 0 &lt;= p &lt; 1
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
         * Makes every MoE layer emit the Switch balancing loss (default off, as the published
         * runs).
         *
         * @param switchBalance whether to emit it
         * @return this builder
         */
        public Builder optSwitchBalance(boolean switchBalance) {
            this.switchBalance = switchBalance;
            return this;
        }

        /**
         * Adds N(0, (1/E)^2) noise to the router logits in training (default off, as the published
         * runs; V-MoE's noisy routing).
         *
         * @param trainingNoise whether to add noise
         * @return this builder
         */
        public Builder optTrainingNoise(boolean trainingNoise) {
            this.trainingNoise = trainingNoise;
            return this;
        }

        /**
         * Makes every MoE layer a MoGE layer: it emits L_gs on the softmax over all E at the
         * schedule's sigma. The weight lambda is applied by the loss ({@code MoeLoss}).
         *
         * @param sigmaSchedule sigma per optimizer step, or null for plain MoE
         * @return this builder
         */
        public Builder optGroupSparse(Tracker sigmaSchedule) {
            this.sigmaSchedule = sigmaSchedule;
            return this;
        }

        /**
         * Sets how the feed-forward output enters the residual stream (default plain).
         *
         * @param rule the rule
         * @return this builder
         */
        public Builder optMomentumRule(MomentumRule rule) {
            if (rule == null) {
                throw new IllegalArgumentException("rule must not be null");
            }
            this.rule = rule;
            return this;
        }

        /**
         * Sets the activation inside each expert and the dense feed-forward, before its dropout
         * (default GELU; the reference uses ReLU).
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
         * Gives every router a per-expert bias, h = x W + b (default off; the reference's gate is a
         * PyTorch {@code Linear} with a bias).
         *
         * @param routerBias whether the routers have a bias
         * @return this builder
         */
        public Builder optRouterBias(boolean routerBias) {
            this.routerBias = routerBias;
            return this;
        }

        /**
         * Sets how the linear maps start (default {@link LmInitialization#DJL}; the reference's is
         * {@link LmInitialization#TORCH}).
         *
         * @param initialization the initialisation
         * @return this builder
         */
        public Builder optInitialization(LmInitialization initialization) {
            if (initialization == null) {
                throw new IllegalArgumentException("initialization must not be null");
            }
            this.initialization = initialization;
            return this;
        }

        Block feedForward(int layer) {
            if (experts == 0) {
                return new DenseFeedForward(topK * hiddenSize, dropout, activation);
            }
            MoeBlock.Builder moe =
                    MoeBlock.builder()
                            .setExperts(experts)
                            .setHiddenSize(hiddenSize)
                            .optTopK(topK)
                            .optRoutingOrder(RoutingOrder.TOPK_THEN_SOFTMAX)
                            .optCapacityFactor(0f)
                            .optTrainingNoise(trainingNoise)
                            .optDropout(dropout)
                            .optExpertActivation(activation)
                            .optRouterBias(routerBias);
            if (switchBalance) {
                moe.optBalanceLoss(new SwitchLoss());
            }
            if (sigmaSchedule != null) {
                moe.optRegularizer(
                        GroupSparseRegularizer.builder().setExperts(experts).build(),
                        sigmaSchedule);
            }
            return moe.build();
        }

        /**
         * Builds the model.
         *
         * @return the model
         */
        public MoeTransformerLm build() {
            if (vocabularySize < 2) {
                throw new IllegalArgumentException("vocabularySize must be set before build()");
            }
            if (width % heads != 0) {
                throw new IllegalArgumentException(
                        "width " + width + " must be divisible by heads " + heads);
            }
            if (experts > 0 && topK > experts) {
                throw new IllegalArgumentException(
                        "topK " + topK + " exceeds the number of experts " + experts);
            }
            if (experts == 0 && (sigmaSchedule != null || switchBalance)) {
                throw new IllegalArgumentException(
                        "the dense model (experts = 0) has no router: drop the group-sparse"
                                + " regularizer and the balancing loss, or set experts >= 1");
            }
            return new MoeTransformerLm(this);
        }

        private static int atLeastOne(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be >= 1, got " + value);
            }
            return value;
        }
    }
}
