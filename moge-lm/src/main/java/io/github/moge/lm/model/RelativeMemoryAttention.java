package io.github.moge.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.moge.core.ops.ScalarOps;

/**
 * Multi-head causal self-attention over a fixed span of preceding tokens, part of which may come
 * from a cached memory of earlier blocks, with learned relative position embeddings.
 *
 * <p>Inputs: {@code x} [B, M, D] (the current block), {@code memory} [B, L, D] (the layer inputs of
 * the L tokens that precede the block, no gradient flows into them) and {@code keyPe} [D/H, L] (one
 * learned vector per relative distance, shared by the heads). Output: [B, M, D].
 *
 * <p>Query position i of the block attends to exactly the L tokens at distances 1..L before it,
 * taken from the concatenation {@code [memory; x]}: never to itself (the residual path carries the
 * token) and never to a later token. The score of a key at distance delta is {@code (q . k + q .
 * keyPe[:, L - delta]) / sqrt(D/H)}; the softmax runs over the L keys. The band is extracted with
 * the skew/unskew reshape trick, so no mask and no loop over positions is needed. Dropout is
 * applied to the attention probabilities. This is the attention of the MomentumSMoE reference
 * language model (an adaptive-span style Transformer without the adaptive span).
 */
public final class RelativeMemoryAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int heads;
    private final float dropout;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear out;
    private int width;

    private RelativeMemoryAttention(Builder builder) {
        super(VERSION);
        this.heads = builder.heads;
        this.dropout = builder.dropout;
        this.query = addChildBlock("query", projection(builder.width));
        this.key = addChildBlock("key", projection(builder.width));
        this.value = addChildBlock("value", projection(builder.width));
        this.out = addChildBlock("out", projection(builder.width));
        this.width = builder.width;
    }

    private static Linear projection(int width) {
        return Linear.builder().setUnits(width).optBias(false).build();
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
        NDArray x = inputs.get(0);
        NDArray memory = inputs.get(1);
        NDArray keyPe = inputs.get(2);
        long batch = x.getShape().get(0);
        long block = x.getShape().get(1);
        long span = memory.getShape().get(1);
        long headDim = width / heads;
        if (keyPe.getShape().get(1) != span || keyPe.getShape().get(0) != headDim) {
            throw new IllegalArgumentException(
                    "keyPe must have shape ["
                            + headDim
                            + ", "
                            + span
                            + "] (head width, memory span), got "
                            + keyPe.getShape());
        }
        NDArray all = memory.concat(x, 1);
        NDArray q = splitHeads(forwardChild(query, parameterStore, x, training), batch, headDim);
        NDArray k = splitHeads(forwardChild(key, parameterStore, all, training), batch, headDim);
        NDArray v = splitHeads(forwardChild(value, parameterStore, all, training), batch, headDim);

        NDArray content = unskew(q.batchMatMul(k.transpose(0, 2, 1)), span); // [BH, M, L]
        NDArray position = q.matMul(keyPe); // [BH, M, L]
        NDArray scores = ScalarOps.div(content.add(position), Math.sqrt(headDim));
        NDArray probs = scores.softmax(-1);
        if (dropout > 0f) {
            probs = Dropout.dropout(probs, dropout, training).singletonOrThrow();
        }
        NDArray mixed = skew(probs).batchMatMul(v); // [BH, M, hd]
        NDArray merged =
                mixed.reshape(batch, heads, block, headDim)
                        .transpose(0, 2, 1, 3)
                        .reshape(batch, block, width);
        return new NDList(forwardChild(out, parameterStore, merged, training));
    }

    private static NDArray forwardChild(
            Linear layer, ParameterStore parameterStore, NDArray input, boolean training) {
        return layer.forward(parameterStore, new NDList(input), training).singletonOrThrow();
    }

    /** [B, T, D] -> [B * H, T, D / H]. */
    private NDArray splitHeads(NDArray array, long batch, long headDim) {
        long length = array.getShape().get(1);
        return array.reshape(batch, length, heads, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(batch * heads, length, headDim);
    }

    /**
     * Takes the band of a score matrix: X [N, M, L + M] -&gt; Y [N, M, L] with Y[i, l] = X[i, i +
     * l], the key at concatenated index i + l, which lies at distance L - l before query i.
     *
     * @param scores the scores of each query against all L + M keys
     * @param span L
     * @return the banded scores
     */
    static NDArray unskew(NDArray scores, long span) {
        Shape shape = scores.getShape();
        long n = shape.get(0);
        long m = shape.get(1);
        long cols = shape.get(2);
        NDArray flat = scores.reshape(n, m * cols);
        NDArray padded =
                flat.concat(scores.getManager().zeros(new Shape(n, m), scores.getDataType()), 1);
        return padded.reshape(n, m, cols + 1).get(new NDIndex(":, :, :{}", span));
    }

    /**
     * Inverse placement of {@link #unskew}: Y [N, M, L] -&gt; X [N, M, L + M] with X[i, i + l] =
     * Y[i, l] and zeros elsewhere.
     *
     * @param banded the banded matrix
     * @return the matrix over all L + M keys
     */
    static NDArray skew(NDArray banded) {
        Shape shape = banded.getShape();
        long n = shape.get(0);
        long m = shape.get(1);
        long span = shape.get(2);
        NDArray padded =
                banded.concat(
                        banded.getManager().zeros(new Shape(n, m, m + 1), banded.getDataType()), 2);
        NDArray flat =
                padded.reshape(n, m * (span + m + 1)).get(new NDIndex(":, :{}", m * (span + m)));
        return flat.reshape(n, m, span + m);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        width = (int) x.get(x.dimension() - 1);
        if (width % heads != 0) {
            throw new IllegalArgumentException(
                    "model width " + width + " is not divisible by the number of heads " + heads);
        }
        Shape flat = new Shape(1, width);
        query.initialize(manager, dataType, flat);
        key.initialize(manager, dataType, flat);
        value.initialize(manager, dataType, flat);
        out.initialize(manager, dataType, flat);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@return the number of heads} */
    public int getHeads() {
        return heads;
    }

    /** Builds a {@link RelativeMemoryAttention}. */
    public static final class Builder {

        private int width;
        private int heads = 1;
        private float dropout;

        Builder() {}

        /**
         * Sets the model width D.
         *
         * @param width D, divisible by the number of heads
         * @return this builder
         */
        public Builder setWidth(int width) {
            if (width < 1) {
                throw new IllegalArgumentException("width must be >= 1, got " + width);
            }
            this.width = width;
            return this;
        }

        /**
         * Sets the number of heads H (default 1).
         *
         * @param heads H, dividing the width
         * @return this builder
         */
        public Builder optHeads(int heads) {
            if (heads < 1) {
                throw new IllegalArgumentException("heads must be >= 1, got " + heads);
            }
            this.heads = heads;
            return this;
        }

        /**
         * Sets the dropout on the attention probabilities (default 0).
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
         * Builds the block.
         *
         * @return the block
         */
        public RelativeMemoryAttention build() {
            if (width < 1) {
                throw new IllegalArgumentException("width must be set before build()");
            }
            if (width % heads != 0) {
                throw new IllegalArgumentException(
                        "width " + width + " must be divisible by heads " + heads);
            }
            return new RelativeMemoryAttention(this);
        }
    }
}
