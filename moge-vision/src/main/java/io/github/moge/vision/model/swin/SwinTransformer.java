package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.MoeBlock;
import io.github.moge.vision.model.AttentionHeads;
import io.github.moge.vision.model.MoePlacement;
import io.github.moge.vision.model.NormPlacement;
import io.github.moge.vision.model.PatchEmbedding;
import io.github.moge.vision.model.TransformerLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Swin Transformer (V2 by default, or V1): patch embedding with LayerNorm, stages of Transformer
 * blocks with (shifted-)window attention (blocks alternate between regular and shifted windows),
 * patch merging between stages, a final LayerNorm, global average pooling and a linear head. V2
 * blocks use residual post-norm and {@link WindowAttentionV2}; V1 blocks are pre-norm with {@link
 * WindowAttentionV1}.
 *
 * <p>Blocks are numbered 0.. over all stages; those in the MoE placement get a {@link
 * io.github.moge.core.MoeBlock} feed-forward (default: alternate blocks of the last two stages).
 * Input images [B, C, H, W] of the configured size; output {@code (logits [B, classes], terms...)}
 * in training and {@code (logits)} in evaluation. Drop path rates grow linearly from 0 over all
 * blocks.
 *
 * <p>Its length is the stage/block assembly for V1 and V2 plus its {@link Builder}, one documented
 * setter per option.
 */
public final class SwinTransformer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int imageSize;
    private final int classes;
    private final float dropout;
    private final int tokens;
    private final int embedDim;
    private final int finalWidth;
    private final MoePlacement placement;
    private final PatchEmbedding patchEmbedding;
    private final List<Block> body = new ArrayList<>();
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;

    private SwinTransformer(Builder b) {
        super(VERSION);
        this.imageSize = b.imageSize;
        this.classes = b.classes;
        this.dropout = b.dropout;
        this.embedDim = b.embedDim;
        this.placement = b.placement;
        int side = b.imageSize / b.patchSize;
        this.tokens = side * side;
        this.patchEmbedding =
                addChildBlock("patch_embed", new PatchEmbedding(b.patchSize, b.embedDim, true));
        NormPlacement normPlacement =
                b.version == SwinVersion.V2 ? NormPlacement.POST : NormPlacement.PRE;
        int total = Arrays.stream(b.depths).sum();
        int index = 0;
        int channels = b.embedDim;
        for (int s = 0; s < b.depths.length; s++) {
            int heads = b.heads[s];
            int hidden = Math.round(b.mlpRatio * channels);
            for (int i = 0; i < b.depths[s]; i++) {
                float rate = total == 1 ? 0f : b.dropPath * index / (total - 1);
                int width = channels;
                ShiftedWindowAttention attention =
                        new ShiftedWindowAttention(
                                side,
                                side,
                                b.windowSize,
                                i % 2 == 1,
                                b.padToWindow,
                                w ->
                                        b.version == SwinVersion.V2
                                                ? new WindowAttentionV2(
                                                        width,
                                                        heads,
                                                        w,
                                                        b.attentionDropout,
                                                        b.dropout)
                                                : new WindowAttentionV1(
                                                        width,
                                                        heads,
                                                        w,
                                                        b.attentionDropout,
                                                        b.dropout));
                TransformerLayer layer =
                        new TransformerLayer(
                                attention,
                                placement.feedForward(index, channels, hidden, b.dropout, b.moe),
                                normPlacement,
                                rate);
                layers.add(layer);
                body.add(addChildBlock("stage" + s + "_block" + i, layer));
                index++;
            }
            if (s < b.depths.length - 1) {
                body.add(
                        addChildBlock(
                                "stage" + s + "_merge",
                                new PatchMerging(side, side, channels, b.version)));
                side /= 2;
                channels *= 2;
            }
        }
        this.finalWidth = channels;
        this.norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        this.head = addChildBlock("head", Linear.builder().setUnits(classes).build());
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
        NDArray image = inputs.head();
        checkInput(image.getShape());
        NDArray x = patchEmbedding.forward(parameterStore, new NDList(image), training).head();
        if (dropout > 0f) {
            x = Dropout.dropout(x, dropout, training).singletonOrThrow();
        }
        NDList terms = new NDList();
        for (Block block : body) {
            NDList out = block.forward(parameterStore, new NDList(x), training, params);
            x = out.head();
            terms.addAll(AuxiliaryTerms.of(out));
        }
        x = norm.forward(parameterStore, new NDList(x), training).head();
        NDArray pooled = x.mean(new int[] {1});
        NDArray logits = head.forward(parameterStore, new NDList(pooled), training).head();
        return new NDList(logits).addAll(terms);
    }

    private void checkInput(Shape shape) {
        if (shape.dimension() != 4 || shape.get(2) != imageSize || shape.get(3) != imageSize) {
            throw new IllegalArgumentException(
                    "this Swin Transformer takes images [B, C, "
                            + imageSize
                            + ", "
                            + imageSize
                            + "], got "
                            + shape);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        long batch = inputShapes[0].get(0);
        patchEmbedding.initialize(manager, dataType, inputShapes[0]);
        Shape shape = new Shape(batch, tokens, embedDim);
        for (Block block : body) {
            block.initialize(manager, dataType, shape);
            shape = block.getOutputShapes(new Shape[] {shape})[0];
        }
        norm.initialize(manager, dataType, shape);
        head.initialize(manager, dataType, new Shape(batch, finalWidth));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }

    /** {@return the Transformer blocks of all stages in order} */
    public List<TransformerLayer> getLayers() {
        return List.copyOf(layers);
    }

    /** {@return the MoE placement (block indices over all stages)} */
    public MoePlacement getPlacement() {
        return placement;
    }

    /** {@return the number of classes} */
    public int getClasses() {
        return classes;
    }

    /** Builds a {@link SwinTransformer}. */
    public static final class Builder {

        private SwinVersion version = SwinVersion.V2;
        private int imageSize;
        private int patchSize;
        private int embedDim;
        private int[] depths;
        private int[] heads;
        private int windowSize;
        private int classes;
        private float mlpRatio = 4f;
        private float dropPath = 0.1f;
        private float dropout;
        private float attentionDropout;
        private boolean padToWindow;
        private MoeBlock.Builder moe;
        private List<Integer> moeLayers;
        private MoePlacement placement;

        Builder() {}

        /**
         * Sets the design (default V2).
         *
         * @param version V1 or V2
         * @return this builder
         */
        public Builder optVersion(SwinVersion version) {
            this.version = version;
            return this;
        }

        /**
         * Sets the (square) image size.
         *
         * @param imageSize H = W
         * @return this builder
         */
        public Builder setImageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        /**
         * Sets the patch size.
         *
         * @param patchSize p; must divide the image size
         * @return this builder
         */
        public Builder setPatchSize(int patchSize) {
            this.patchSize = patchSize;
            return this;
        }

        /**
         * Sets the width of the first stage (doubles at each patch merging).
         *
         * @param embedDim C
         * @return this builder
         */
        public Builder setEmbedDim(int embedDim) {
            this.embedDim = embedDim;
            return this;
        }

        /**
         * Sets the number of blocks of each stage.
         *
         * @param depths e.g. 2, 2, 6, 2
         * @return this builder
         */
        public Builder setDepths(int... depths) {
            this.depths = depths.clone();
            return this;
        }

        /**
         * Sets the heads of each stage.
         *
         * @param heads e.g. 3, 6, 12, 24; each must divide its stage's width
         * @return this builder
         */
        public Builder setHeads(int... heads) {
            this.heads = heads.clone();
            return this;
        }

        /**
         * Sets the window size.
         *
         * @param windowSize w
         * @return this builder
         */
        public Builder setWindowSize(int windowSize) {
            this.windowSize = windowSize;
            return this;
        }

        /**
         * Sets the number of classes.
         *
         * @param classes the classes
         * @return this builder
         */
        public Builder setClasses(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * Sets the feed-forward hidden width as a multiple of the stage width (default 4).
         *
         * @param mlpRatio the ratio
         * @return this builder
         */
        public Builder optMlpRatio(float mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /**
         * Sets the stochastic depth rate of the last block (default 0.1, linear from 0).
         *
         * @param dropPath the rate
         * @return this builder
         */
        public Builder optDropPath(float dropPath) {
            this.dropPath = dropPath;
            return this;
        }

        /**
         * Sets the dropout after the embedding, the projections and in the dense feed-forward
         * (default 0).
         *
         * @param dropout the rate
         * @return this builder
         */
        public Builder optDropout(float dropout) {
            this.dropout = dropout;
            return this;
        }

        /**
         * Sets the dropout on the attention weights (default 0).
         *
         * @param attentionDropout the rate
         * @return this builder
         */
        public Builder optAttentionDropout(float attentionDropout) {
            this.attentionDropout = attentionDropout;
            return this;
        }

        /**
         * Zero-pads feature maps the window does not tile (default off: that is a configuration
         * error).
         *
         * @param padToWindow whether to pad
         * @return this builder
         */
        public Builder optPadToWindow(boolean padToWindow) {
            this.padToWindow = padToWindow;
            return this;
        }

        /**
         * Turns the placed blocks into MoE layers built from a template, e.g. {@link
         * io.github.moge.vision.model.VisionMoe#moge}: each layer from a copy with its block's
         * hidden width (the template is copied here, so later changes to it do not reach this
         * model).
         *
         * @param moe the layer template (no hidden size needed), or null for a dense model
         * @return this builder
         */
        public Builder optMoe(MoeBlock.Builder moe) {
            this.moe = moe == null ? null : moe.copy();
            return this;
        }

        /**
         * Sets which blocks (0-based, counted over all stages) hold MoE layers; default alternate
         * blocks of the last two stages ({@link MoePlacement#alternateInLastStages}). Ignored
         * without {@link #optMoe}.
         *
         * @param moeLayers block indices
         * @return this builder
         */
        public Builder optMoeLayers(List<Integer> moeLayers) {
            this.moeLayers = moeLayers;
            return this;
        }

        /**
         * Builds the model.
         *
         * @return the model block
         */
        public SwinTransformer build() {
            if (imageSize < 1 || patchSize < 1 || embedDim < 1 || windowSize < 1 || classes < 1) {
                throw new IllegalArgumentException(
                        "imageSize, patchSize, embedDim, windowSize and classes must all be set (>="
                                + " 1)");
            }
            if (depths == null
                    || heads == null
                    || depths.length == 0
                    || depths.length != heads.length) {
                throw new IllegalArgumentException(
                        "depths and heads must be set with one entry per stage, got "
                                + Arrays.toString(depths)
                                + " and "
                                + Arrays.toString(heads));
            }
            PatchEmbedding.checkDivisible(imageSize, imageSize, patchSize);
            int side = imageSize / patchSize;
            int channels = embedDim;
            for (int s = 0; s < depths.length; s++) {
                if (depths[s] < 1) {
                    throw new IllegalArgumentException(
                            "every stage needs >= 1 block, got " + Arrays.toString(depths));
                }
                AttentionHeads.headWidth(channels, heads[s]);
                int window = ShiftedWindowAttention.effectiveWindow(side, side, windowSize);
                if (!padToWindow) {
                    WindowOps.checkDivides(side, side, window);
                }
                if (s < depths.length - 1) {
                    if (side % 2 != 0) {
                        throw new IllegalArgumentException(
                                "patch merging after stage "
                                        + s
                                        + " needs an even feature map, got "
                                        + side
                                        + "x"
                                        + side);
                    }
                    side /= 2;
                    channels *= 2;
                }
            }
            if (moe == null) {
                placement = MoePlacement.none();
            } else {
                placement =
                        moeLayers == null
                                ? MoePlacement.alternateInLastStages(depths, 2)
                                : MoePlacement.of(moeLayers);
            }
            placement.validate(Arrays.stream(depths).sum());
            return new SwinTransformer(this);
        }
    }
}
