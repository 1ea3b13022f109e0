package io.github.moge.lm.model;

import ai.djl.training.tracker.Tracker;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.experts.ExpertActivation;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Named model and optimisation settings of the paper's language-modelling runs (Table 3, after the
 * MomentumSMoE reference on WikiText-103), plus dense baselines with the same active parameters.
 *
 * <p>small: 3 layers, width 128, expert width 128, 8 heads, block 256, span 256, dropout 0.7, batch
 * 96, Adam 1e-3 with 3000 warm-up steps. medium: 6 layers, width 352, expert width 352, 8 heads,
 * block 512, span 1024, dropout 0.1, batch 48, 4000 warm-up steps. MoE layers: 16 experts, top-2
 * (the reference default), dropless, no balancing loss. SMoGE adds the group-sparse regularizer on
 * a 4 x 4 map with the sigma schedule of {@link LmSigmaSetting} (paper Table 10 by default).
 *
 * <p>Group-sparse weight, with the convention of the vision presets: every layer adds lambda * L_gs
 * and the loss multiplies the sum over layers by {@link #AUX_WEIGHT} = 0.01 (the reference
 * trainer's factor on the gates' losses). The reference's lambda is 1e-5 on an L_gs without the
 * 1/f^2 of docs/design.md's formula ({@link #GROUP_SPARSE_LAMBDA_REFERENCE}); on this library's
 * L_gs (f = 3) that is {@link #GROUP_SPARSE_LAMBDA} = 9e-5, and the loss weight is {@link
 * #groupSparseWeight(float)} = 9e-7.
 *
 * <p>As the reference (docs/lm.md, "Initialisation"), every preset's experts apply ReLU then
 * dropout ({@link #EXPERT_ACTIVATION}), its routers have a bias ({@link #ROUTER_BIAS}) and its
 * linear maps start from PyTorch's {@code Linear} default ({@link #INITIALIZATION}); each can be
 * overridden.
 *
 * <p>Momentum: mu 0.7, gamma 1; Adam: beta1 0.9, beta2 0.999, gamma 1. The dense model's
 * feed-forward is k * 128 (or k * 352) wide.
 *
 * <p>{@link #newModel(int, int, Overrides)} builds the model of a run, with the sigma schedule over
 * its optimizer steps and the values a command may change ({@link Overrides}); without overrides it
 * is the preset as published.
 *
 * <p>Its length is the table of presets and their {@link Overrides}; the building logic is short.
 */
public enum LmPreset {
    /** Dense baseline, small. */
    DENSE_SMALL(Size.SMALL, 0, false, MomentumRule.Kind.PLAIN),
    /** Switch-style SMoE, small. */
    SMOE_SMALL(Size.SMALL, 16, false, MomentumRule.Kind.PLAIN),
    /** SMoE with the group-sparse regularizer, small. */
    SMOGE_SMALL(Size.SMALL, 16, true, MomentumRule.Kind.PLAIN),
    /** MomentumSMoE, small. */
    MOMENTUM_SMOE_SMALL(Size.SMALL, 16, false, MomentumRule.Kind.MOMENTUM),
    /** MomentumSMoE with the regularizer, small. */
    MOMENTUM_SMOGE_SMALL(Size.SMALL, 16, true, MomentumRule.Kind.MOMENTUM),
    /** AdamSMoE, small. */
    ADAM_SMOE_SMALL(Size.SMALL, 16, false, MomentumRule.Kind.ADAM),
    /** AdamSMoE with the regularizer, small. */
    ADAM_SMOGE_SMALL(Size.SMALL, 16, true, MomentumRule.Kind.ADAM),
    /** Dense baseline, medium. */
    DENSE_MEDIUM(Size.MEDIUM, 0, false, MomentumRule.Kind.PLAIN),
    /** Switch-style SMoE, medium. */
    SMOE_MEDIUM(Size.MEDIUM, 16, false, MomentumRule.Kind.PLAIN),
    /** SMoE with the regularizer, medium. */
    SMOGE_MEDIUM(Size.MEDIUM, 16, true, MomentumRule.Kind.PLAIN),
    /** MomentumSMoE, medium. */
    MOMENTUM_SMOE_MEDIUM(Size.MEDIUM, 16, false, MomentumRule.Kind.MOMENTUM),
    /** MomentumSMoE with the regularizer, medium. */
    MOMENTUM_SMOGE_MEDIUM(Size.MEDIUM, 16, true, MomentumRule.Kind.MOMENTUM),
    /** AdamSMoE, medium. */
    ADAM_SMOE_MEDIUM(Size.MEDIUM, 16, false, MomentumRule.Kind.ADAM),
    /** AdamSMoE with the regularizer, medium. */
    ADAM_SMOGE_MEDIUM(Size.MEDIUM, 16, true, MomentumRule.Kind.ADAM);

    /**
     * Per-layer lambda of the released SMoGE scripts in the reference's units (L_gs without 1/f^2):
     * 1e-5.
     */
    public static final float GROUP_SPARSE_LAMBDA_REFERENCE = 1e-5f;

    /**
     * f^2 for the published 3 x 3 filter: the reference's L_gs is this many times the library's.
     */
    static final float FILTER_AREA = 9f;

    /** The same per-layer lambda on this library's L_gs (with 1/f^2): 9e-5. */
    public static final float GROUP_SPARSE_LAMBDA = GROUP_SPARSE_LAMBDA_REFERENCE * FILTER_AREA;

    /**
     * The experts' activation of every preset: ReLU, then dropout, as the reference (docs/lm.md,
     * "Initialisation"); the library's default elsewhere is GELU.
     */
    public static final ExpertActivation EXPERT_ACTIVATION = ExpertActivation.RELU;

    /** Whether the routers of every preset have a bias: yes, as the reference's {@code Linear}. */
    public static final boolean ROUTER_BIAS = true;

    /**
     * The initialisation of every preset: PyTorch's {@code Linear} default, as the reference
     * (docs/lm.md, "Initialisation").
     */
    public static final LmInitialization INITIALIZATION = LmInitialization.TORCH;

    /** Experts per token k of every MoE preset (the reference default). */
    public static final int TOP_K = 2;

    /**
     * Factor on the sum over layers of the auxiliary terms, as the reference trainer's load_balance
     * 0.01.
     */
    public static final float AUX_WEIGHT = 0.01f;

    /** The loss weight on the sum over layers of L_gs in the published runs: 0.01 * 9e-5 = 9e-7. */
    public static final float GROUP_SPARSE_WEIGHT = AUX_WEIGHT * GROUP_SPARSE_LAMBDA;

    /**
     * Returns the loss weight on the sum over layers of L_gs for a per-layer lambda: {@code
     * AUX_WEIGHT * lambda}.
     *
     * @param lambda the per-layer lambda in this library's units, e.g. {@link #GROUP_SPARSE_LAMBDA}
     * @return the weight for {@code MoeLoss} (9e-7 for the published lambda)
     */
    public static float groupSparseWeight(float lambda) {
        return AUX_WEIGHT * lambda;
    }

    /** Model sizes. */
    enum Size {
        SMALL(3, 128, 128, 8, 256, 256, 0.7f, 96, 3000),
        MEDIUM(6, 352, 352, 8, 512, 1024, 0.1f, 48, 4000);

        final int layers;
        final int width;
        final int hidden;
        final int heads;
        final int block;
        final int span;
        final float dropout;
        final int batch;
        final int warmup;

        Size(
                int layers,
                int width,
                int hidden,
                int heads,
                int block,
                int span,
                float dropout,
                int batch,
                int warmup) {
            this.layers = layers;
            this.width = width;
            this.hidden = hidden;
            this.heads = heads;
            this.block = block;
            this.span = span;
            this.dropout = dropout;
            this.batch = batch;
            this.warmup = warmup;
        }
    }

    private final Size size;
    private final int experts;
    private final boolean groupSparse;
    private final MomentumRule.Kind momentum;

    LmPreset(Size size, int experts, boolean groupSparse, MomentumRule.Kind momentum) {
        this.size = size;
        this.experts = experts;
        this.groupSparse = groupSparse;
        this.momentum = momentum;
    }

    /** {@return the command-line name, e.g. {@code momentum-smoge-small}} */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Finds a preset by its command-line name.
     *
     * @param name e.g. {@code smoge-small}
     * @return the preset
     */
    public static LmPreset fromCliName(String name) {
        for (LmPreset preset : values()) {
            if (preset.cliName().equals(name)) {
                return preset;
            }
        }
        StringBuilder known = new StringBuilder();
        for (LmPreset preset : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(preset.cliName());
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + known);
    }

    /**
     * Returns a model builder with this preset's architecture.
     *
     * @param vocabularySize V
     * @param sigmaSchedule the sigma schedule (sized to the run's optimizer steps); used by SMoGE
     *     presets
     * @return the builder, to adjust further if needed
     */
    public MoeTransformerLm.Builder modelBuilder(int vocabularySize, Tracker sigmaSchedule) {
        MoeTransformerLm.Builder builder =
                MoeTransformerLm.builder()
                        .setVocabularySize(vocabularySize)
                        .optLayers(size.layers)
                        .optWidth(size.width)
                        .optHeads(size.heads)
                        .optSpan(size.span)
                        .optHiddenSize(size.hidden)
                        .optExperts(experts)
                        .optTopK(TOP_K)
                        .optDropout(size.dropout)
                        .optMomentumRule(MomentumRule.builder().setKind(momentum).build())
                        .optExpertActivation(EXPERT_ACTIVATION)
                        .optRouterBias(ROUTER_BIAS)
                        .optInitialization(INITIALIZATION);
        if (groupSparse) {
            builder.optGroupSparse(sigmaSchedule);
        }
        return builder;
    }

    /**
     * Builds the model of a run as published: {@link #newModel(int, int, Overrides)} without
     * overrides.
     *
     * @param vocabularySize V
     * @param totalSteps T, the optimizer steps of the whole run (the sigma schedule of SMoGE
     *     presets)
     * @return the model, not initialised
     */
    public MoeTransformerLm newModel(int vocabularySize, int totalSteps) {
        return newModel(vocabularySize, totalSteps, Overrides.NONE);
    }

    /**
     * Builds the model of a run: the preset's architecture with the overrides applied and, for
     * SMoGE presets, the sigma schedule of the overrides' setting (default {@link
     * LmSigmaSetting#PAPER}) over the run's optimizer steps.
     *
     * @param vocabularySize V
     * @param totalSteps T, the optimizer steps of the whole run, at least 1
     * @param overrides the values the run changes
     * @return the model, not initialised
     */
    public MoeTransformerLm newModel(int vocabularySize, int totalSteps, Overrides overrides) {
        SigmaSchedule sigma = groupSparse ? overrides.sigma.over(totalSteps) : null;
        MoeTransformerLm.Builder builder = modelBuilder(vocabularySize, sigma);
        if (overrides.span != null) {
            builder.optSpan(overrides.span);
        }
        if (overrides.layers != null) {
            builder.optLayers(overrides.layers);
        }
        if (overrides.width != null) {
            builder.optWidth(overrides.width);
        }
        if (overrides.hiddenSize != null) {
            builder.optHiddenSize(overrides.hiddenSize);
        }
        if (overrides.topK != null) {
            builder.optTopK(overrides.topK);
        }
        if (overrides.dropout != null) {
            builder.optDropout(overrides.dropout);
        }
        if (overrides.activation != null) {
            builder.optExpertActivation(overrides.activation);
        }
        if (overrides.routerBias != null) {
            builder.optRouterBias(overrides.routerBias);
        }
        if (overrides.initialization != null) {
            builder.optInitialization(overrides.initialization);
        }
        return builder.optSwitchBalance(overrides.switchBalance).build();
    }

    /** {@return whether the preset is a MoGE (regularised) model} */
    public boolean isGroupSparse() {
        return groupSparse;
    }

    /** {@return E, 0 for the dense baseline} */
    public int getExperts() {
        return experts;
    }

    /** {@return the residual rule kind} */
    public MomentumRule.Kind getMomentum() {
        return momentum;
    }

    /**
     * {@return k, the experts per token ({@link #TOP_K}; the dense feed-forward is k times h wide)}
     */
    public int getTopK() {
        return TOP_K;
    }

    /** {@return the number of layers} */
    public int getLayers() {
        return size.layers;
    }

    /** {@return the model width} */
    public int getWidth() {
        return size.width;
    }

    /** {@return the number of attention heads, which must divide the width} */
    public int getHeads() {
        return size.heads;
    }

    /** {@return the expert hidden width h (the dense feed-forward is top-k times h wide)} */
    public int getHiddenSize() {
        return size.hidden;
    }

    /** {@return the block length M} */
    public int getBlock() {
        return size.block;
    }

    /** {@return the attention span} */
    public int getSpan() {
        return size.span;
    }

    /** {@return the dropout} */
    public float getDropout() {
        return size.dropout;
    }

    /** {@return the training batch B} */
    public int getBatch() {
        return size.batch;
    }

    /** {@return the learning-rate warm-up steps} */
    public int getWarmup() {
        return size.warmup;
    }

    /** {@return the Adam learning rate (1e-3)} */
    public float getLearningRate() {
        return 1e-3f;
    }

    /** {@return a one-line description for --help} */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%s: %s, %d layers, width %d, %s, dropout %.1f, block %d, span %d, batch %d",
                cliName(),
                experts == 0
                        ? "dense FFN " + 2 * size.hidden
                        : "E=16 top-2" + (groupSparse ? " + L_gs" : ""),
                size.layers,
                size.width,
                momentum == MomentumRule.Kind.PLAIN
                        ? "plain residual"
                        : momentum.name().toLowerCase(Locale.ROOT),
                size.dropout,
                size.block,
                size.span,
                size.batch);
    }

    /**
     * The values a run may change on a preset's model; each one left unset keeps the preset's.
     * Immutable: every {@code with} method returns a new value.
     */
    public static final class Overrides {

        /**
         * No override: the preset as published, sigma {@link LmSigmaSetting#PAPER}, no balance
         * loss.
         */
        public static final Overrides NONE = new Overrides();

        private Integer layers;
        private Integer width;
        private Integer hiddenSize;
        private Integer span;
        private Integer topK;
        private Float dropout;
        private boolean switchBalance;
        private SigmaSchedule.Setting sigma = SigmaSchedule.LM_PAPER;
        private ExpertActivation activation;
        private Boolean routerBias;
        private LmInitialization initialization;

        private Overrides() {}

        /** {@return a copy of these overrides with one change (fields are set only here)} */
        private Overrides with(Consumer<Overrides> change) {
            Overrides o = new Overrides();
            o.layers = layers;
            o.width = width;
            o.hiddenSize = hiddenSize;
            o.span = span;
            o.topK = topK;
            o.dropout = dropout;
            o.switchBalance = switchBalance;
            o.sigma = sigma;
            o.activation = activation;
            o.routerBias = routerBias;
            o.initialization = initialization;
            change.accept(o);
            return o;
        }

        /**
         * Sets the number of layers.
         *
         * @param layers the layers
         * @return the changed overrides
         */
        public Overrides withLayers(int layers) {
            return with(o -> o.layers = layers);
        }

        /**
         * Sets the model width.
         *
         * @param width the width, a multiple of the heads
         * @return the changed overrides
         */
        public Overrides withWidth(int width) {
            return with(o -> o.width = width);
        }

        /**
         * Sets the expert hidden width h.
         *
         * @param hiddenSize h
         * @return the changed overrides
         */
        public Overrides withHiddenSize(int hiddenSize) {
            return with(o -> o.hiddenSize = hiddenSize);
        }

        /**
         * Sets the attention span.
         *
         * @param span the span
         * @return the changed overrides
         */
        public Overrides withSpan(int span) {
            return with(o -> o.span = span);
        }

        /**
         * Sets k, the experts per token.
         *
         * @param topK k
         * @return the changed overrides
         */
        public Overrides withTopK(int topK) {
            return with(o -> o.topK = topK);
        }

        /**
         * Sets the dropout.
         *
         * @param dropout the rate
         * @return the changed overrides
         */
        public Overrides withDropout(float dropout) {
            return with(o -> o.dropout = dropout);
        }

        /**
         * Sets whether the MoE layers emit the Switch balance loss (default off).
         *
         * @param switchBalance whether to emit it
         * @return the changed overrides
         */
        public Overrides withSwitchBalance(boolean switchBalance) {
            return with(o -> o.switchBalance = switchBalance);
        }

        /**
         * Sets the sigma schedule of SMoGE presets (default {@link SigmaSchedule#LM_PAPER}).
         *
         * @param sigma max, min and p
         * @return the changed overrides
         */
        public Overrides withSigma(SigmaSchedule.Setting sigma) {
            if (sigma == null) {
                throw new IllegalArgumentException("sigma must not be null");
            }
            return with(o -> o.sigma = sigma);
        }

        /**
         * Returns these overrides with the expert activation (the preset's: ReLU, as the
         * reference).
         *
         * @param activation the activation
         * @return the new overrides
         */
        public Overrides withExpertActivation(ExpertActivation activation) {
            if (activation == null) {
                throw new IllegalArgumentException("activation must not be null");
            }
            return with(o -> o.activation = activation);
        }

        /**
         * Returns these overrides with or without a router bias (the preset's: with, as the
         * reference).
         *
         * @param routerBias whether the routers have a bias
         * @return the new overrides
         */
        public Overrides withRouterBias(boolean routerBias) {
            return with(o -> o.routerBias = routerBias);
        }

        /**
         * Returns these overrides with the initialisation (the preset's: PyTorch's, as the
         * reference).
         *
         * @param initialization the initialisation
         * @return the new overrides
         */
        public Overrides withInitialization(LmInitialization initialization) {
            if (initialization == null) {
                throw new IllegalArgumentException("initialization must not be null");
            }
            return with(o -> o.initialization = initialization);
        }

        /** {@return the sigma setting (the default unless {@link #withSigma} changed it)} */
        public SigmaSchedule.Setting getSigma() {
            return sigma;
        }
    }
}
