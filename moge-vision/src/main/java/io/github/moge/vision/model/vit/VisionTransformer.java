package io.github.moge.vision.model.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.BatchScope;
import io.github.moge.core.MoeBlock;
import io.github.moge.vision.model.AttentionHeads;
import io.github.moge.vision.model.MoePlacement;
import io.github.moge.vision.model.MultiHeadSelfAttention;
import io.github.moge.vision.model.NormPlacement;
import io.github.moge.vision.model.PatchEmbedding;
import io.github.moge.vision.model.TransformerLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * Vision Transformer: patch embedding, a class token, a learned position embedding, pre-norm
 * Transformer blocks with stochastic depth, a final LayerNorm and a linear head on the class token.
 * Blocks listed in the MoE placement use a {@link io.github.moge.core.MoeBlock} feed-forward
 * (V-MoE; V-MoGE when the layer template carries a regularizer), by default the last two
 * even-numbered blocks.
 *
 * <p>Input images [B, C, H, W] of the configured size; output {@code (logits [B, classes],
 * terms...)} in training and {@code (logits)} in evaluation. Drop path rates grow linearly from 0
 * to the configured rate over the blocks.
 */
public final class VisionTransformer extends AbstractBlock {

    /** Standard deviation of the class token at initialisation, as the authors' ViT. */
    public static final float CLASS_TOKEN_STD = 1e-6f;

    private static final byte VERSION = 1;

    private final int imageSize;
    private final int patchSize;
    private final int width;
    private final int classes;
    private final float dropout;
    private final int tokens;
    private final MoePlacement placement;
    private final PatchEmbedding patchEmbedding;
    private final Parameter classToken;
    private final Parameter positionEmbedding;
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;

    private VisionTransformer(Builder b) {
        super(VERSION);
        this.imageSize = b.imageSize;
        this.patchSize = b.patchSize;
        this.width = b.width;
        this.classes = b.classes;
        this.dropout = b.dropout;
        this.placement = b.placement;
        this.tokens = (imageSize / patchSize) * (imageSize / patchSize) + 1;
        this.patchEmbedding =
                addChildBlock("patch_embed", new PatchEmbedding(patchSize, width, false));
        this.classToken = addParameter(embedding("cls_token", CLASS_TOKEN_STD));
        this.positionEmbedding = addParameter(embedding("pos_embed", 0.02f));
        int hidden = Math.round(b.mlpRatio * width);
        for (int i = 0; i < b.depth; i++) {
            float rate = b.depth == 1 ? 0f : b.dropPath * i / (b.depth - 1);
            TransformerLayer layer =
                    new TransformerLayer(
                            new MultiHeadSelfAttention(
                                    width, b.heads, b.attentionDropout, b.dropout),
                            placement.feedForward(i, width, hidden, b.dropout, b.moe),
                            NormPlacement.PRE,
                            rate);
            layers.add(addChildBlock("block" + i, layer));
        }
        this.norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        this.head = addChildBlock("head", Linear.builder().setUnits(classes).build());
    }

    private static Parameter embedding(String name, float std) {
        return Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.OTHER)
                .optInitializer(new NormalInitializer(std))
                .build();
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
        long batch = image.getShape().get(0);
        NDArray x = patchEmbedding.forward(parameterStore, new NDList(image), training).head();
        NDArray cls = parameterStore.getValue(classToken, image.getDevice(), training);
        NDArray pos = parameterStore.getValue(positionEmbedding, image.getDevice(), training);
        x = BatchScope.view(cls, x).broadcast(batch, 1, width).concat(x, 1).add(pos);
        if (dropout > 0f) {
            x = Dropout.dropout(x, dropout, training).singletonOrThrow();
        }
        NDList terms = new NDList();
        for (TransformerLayer layer : layers) {
            NDList out = layer.forward(parameterStore, new NDList(x), training, params);
            x = out.head();
            terms.addAll(AuxiliaryTerms.of(out));
        }
        x = norm.forward(parameterStore, new NDList(x), training).head();
        NDArray pooled = x.get(new NDIndex(":, 0, :"));
        NDArray logits = head.forward(parameterStore, new NDList(pooled), training).head();
        return new NDList(logits).addAll(terms);
    }

    private void checkInput(Shape shape) {
        if (shape.dimension() != 4 || shape.get(2) != imageSize || shape.get(3) != imageSize) {
            throw new IllegalArgumentException(
                    "this ViT takes images [B, C, "
                            + imageSize
                            + ", "
                            + imageSize
                            + "], got "
                            + shape);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        checkInput(inputShapes[0]);
        classToken.setShape(new Shape(1, 1, width));
        positionEmbedding.setShape(new Shape(1, tokens, width));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long batch = inputShapes[0].get(0);
        patchEmbedding.initialize(manager, dataType, inputShapes[0]);
        Shape tokenShape = new Shape(batch, tokens, width);
        for (TransformerLayer layer : layers) {
            layer.initialize(manager, dataType, tokenShape);
        }
        norm.initialize(manager, dataType, tokenShape);
        head.initialize(manager, dataType, new Shape(batch, width));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }

    /** {@return the Transformer blocks in order} */
    public List<TransformerLayer> getLayers() {
        return List.copyOf(layers);
    }

    /** {@return the MoE placement} */
    public MoePlacement getPlacement() {
        return placement;
    }

    /** {@return the number of classes} */
    public int getClasses() {
        return classes;
    }

    /** Builds a {@link VisionTransformer}. */
    public static final class Builder {

        private int imageSize;
        private int patchSize;
        private int width;
        private int depth;
        private int heads;
        private int classes;
        private float mlpRatio = 4f;
        private float dropPath = 0.1f;
        private float dropout;
        private float attentionDropout;
        private MoeBlock.Builder moe;
        private List<Integer> moeLayers;

        Builder() {}

        /**
         * Sets the (square) image size in pixels.
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
         * Sets the model width D.
         *
         * @param width D
         * @return this builder
         */
        public Builder setWidth(int width) {
            this.width = width;
            return this;
        }

        /**
         * Sets the number of Transformer blocks.
         *
         * @param depth the depth
         * @return this builder
         */
        public Builder setDepth(int depth) {
            this.depth = depth;
            return this;
        }

        /**
         * Sets the number of attention heads.
         *
         * @param heads must divide the width
         * @return this builder
         */
        public Builder setHeads(int heads) {
            this.heads = heads;
            return this;
        }

        /**
         * Sets the number of classes of the head.
         *
         * @param classes the classes
         * @return this builder
         */
        public Builder setClasses(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * Sets the feed-forward hidden width as a multiple of the width (default 4).
         *
         * @param mlpRatio the ratio
         * @return this builder
         */
        public Builder optMlpRatio(float mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /**
         * Sets the stochastic depth rate of the last block (default 0.1; linear from 0 over the
         * blocks).
         *
         * @param dropPath the rate
         * @return this builder
         */
        public Builder optDropPath(float dropPath) {
            this.dropPath = dropPath;
            return this;
        }

        /**
         * Sets the dropout after the embedding, the projections and inside the dense feed-forward
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
         * Sets which blocks hold MoE layers (default: the last two even-numbered blocks, i.e.
         * 0-based indices depth - 3 and depth - 1). Ignored without {@link #optMoe}.
         *
         * @param moeLayers 0-based block indices
         * @return this builder
         */
        public Builder optMoeLayers(List<Integer> moeLayers) {
            this.moeLayers = moeLayers;
            return this;
        }

        private MoePlacement placement;

        /**
         * Builds the model.
         *
         * @return the model block
         */
        public VisionTransformer build() {
            if (imageSize < 1
                    || patchSize < 1
                    || width < 1
                    || depth < 1
                    || heads < 1
                    || classes < 1) {
                throw new IllegalArgumentException(
                        "imageSize, patchSize, width, depth, heads and classes must all be set (>="
                                + " 1)");
            }
            PatchEmbedding.checkDivisible(imageSize, imageSize, patchSize);
            AttentionHeads.headWidth(width, heads);
            if (!(mlpRatio > 0f)) {
                throw new IllegalArgumentException("mlpRatio must be > 0, got " + mlpRatio);
            }
            if (moe == null) {
                placement = MoePlacement.none();
            } else {
                placement =
                        moeLayers == null
                                ? MoePlacement.lastEven(depth, 2)
                                : MoePlacement.of(moeLayers);
            }
            placement.validate(depth);
            return new VisionTransformer(this);
        }
    }
}
