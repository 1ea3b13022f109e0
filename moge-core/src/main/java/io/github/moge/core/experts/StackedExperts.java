package io.github.moge.core.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * E identical two-layer feed-forward experts d -&gt; h -&gt; d (an activation, GELU by default or
 * ReLU, then dropout between the layers, nothing after the second), stored as stacked parameters so
 * that all experts run as two batched matrix products.
 *
 * <p>Parameters: {@code "w1"} [E, d, h], {@code "b1"} [E, 1, h], {@code "w2"} [E, h, d], {@code
 * "b2"} [E, 1, d]. The width d is inferred from the input shape [E, C, d], where C is the number of
 * slots (tokens) per expert. Expert e computes {@code act(x · w1[e] + b1[e]) · w2[e] + b2[e]} on
 * its slots {@code x = slots[e]}, {@code act} the {@link ExpertActivation}.
 *
 * <p>Each expert's weight matrices are initialised like a DJL {@code Linear} layer (DJL 0.25 uses a
 * Gaussian with standard deviation sqrt(2 / fan_in), fan_in being the layer's input width: d for
 * {@code w1}, h for {@code w2}); biases start at zero.
 */
public class StackedExperts extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int numExperts;
    private final int hiddenSize;
    private final float dropout;
    private final ExpertActivation activation;

    private final Parameter w1;
    private final Parameter b1;
    private final Parameter w2;
    private final Parameter b2;

    StackedExperts(Builder builder) {
        super(VERSION);
        this.numExperts = builder.numExperts;
        this.hiddenSize = builder.hiddenSize;
        this.dropout = builder.dropout;
        this.activation = builder.activation;
        this.w1 = addParameter(weight("w1"));
        this.b1 = addParameter(bias("b1"));
        this.w2 = addParameter(weight("w2"));
        this.b2 = addParameter(bias("b2"));
    }

    private static Parameter weight(String name) {
        return Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.WEIGHT)
                .optInitializer(StackedExperts::initializeStackedWeight)
                .build();
    }

    private static Parameter bias(String name) {
        return Parameter.builder().setName(name).setType(Parameter.Type.BIAS).build();
    }

    /**
     * Per-expert Linear-style initialisation of a stacked weight [E, in, out]: N(0, 2 / in),
     * matching DJL's default for a Linear weight [out, in] (Xavier, Gaussian, factor "in",
     * magnitude 2).
     */
    private static NDArray initializeStackedWeight(
            NDManager manager, Shape shape, DataType dataType) {
        float std = (float) Math.sqrt(2.0 / shape.get(1));
        return manager.randomNormal(0f, std, shape, dataType, manager.getDevice());
    }

    /**
     * Returns a new builder for {@link StackedExperts}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs every expert on its own slots.
     *
     * @param parameterStore the parameter store holding the expert weights
     * @param slots the tokens assigned to each expert, shape [E, C, d] (C may be any capacity)
     * @param training whether this is a training pass (enables dropout)
     * @return the expert outputs, shape [E, C, d]
     */
    public NDArray apply(ParameterStore parameterStore, NDArray slots, boolean training) {
        return apply(parameterStore, slots, training, null);
    }

    /**
     * Runs a subset of the experts, each on its own slots: row i of {@code slots} belongs to expert
     * {@code experts[i]}, whose parameters are gathered (gradients flow back to them).
     *
     * @param parameterStore the parameter store holding the expert weights
     * @param slots the tokens of each listed expert, shape [U, C, d]
     * @param training whether this is a training pass (enables dropout)
     * @param experts the expert of each row, int64 [U] with values in [0, E); null for all E
     *     experts
     * @return the outputs, shape [U, C, d]
     */
    public NDArray apply(
            ParameterStore parameterStore, NDArray slots, boolean training, NDArray experts) {
        Shape shape = slots.getShape();
        long rows = experts == null ? numExperts : experts.size();
        if (shape.dimension() != 3 || shape.get(0) != rows) {
            throw new IllegalArgumentException(
                    "StackedExperts expects input of shape ["
                            + rows
                            + " experts, C, d], got "
                            + shape);
        }
        NDIndex subset = experts == null ? null : new NDIndex("{}", experts);
        NDArray weight1 = value(parameterStore, w1, slots, training, subset);
        NDArray bias1 = value(parameterStore, b1, slots, training, subset);
        NDArray weight2 = value(parameterStore, w2, slots, training, subset);
        NDArray bias2 = value(parameterStore, b2, slots, training, subset);
        NDArray hidden = activation.apply(slots.batchMatMul(weight1).add(bias1));
        if (dropout > 0f) {
            hidden = Dropout.dropout(hidden, dropout, training).singletonOrThrow();
        }
        return hidden.batchMatMul(weight2).add(bias2);
    }

    /**
     * Runs every expert on its own contiguous segment of rows, without padding: expert e computes
     * its rows {@code start(e) .. start(e) + segments[e] - 1}, {@code start(e)} the sum of the
     * segments before it. Empty segments cost nothing. Gradients flow to {@code rows} and to the
     * parameters (the stacked weights are split into per-expert views, so each expert's gradient
     * lands in its own slice of the stacked gradient).
     *
     * <p>With dropout, the masks are drawn per segment.
     *
     * @param parameterStore the parameter store holding the expert weights
     * @param rows the rows sorted by expert, shape [M, d]
     * @param segments how many rows each of the E experts owns (each &gt;= 0, summing to M)
     * @param training whether this is a training pass (enables dropout)
     * @return the outputs, shape [M, d], row for row
     */
    public NDArray applyGrouped(
            ParameterStore parameterStore, NDArray rows, long[] segments, boolean training) {
        Shape shape = rows.getShape();
        if (segments.length != numExperts) {
            throw new IllegalArgumentException(
                    "segments must have one length per expert ("
                            + numExperts
                            + "), got "
                            + segments.length);
        }
        long total = 0;
        int occupied = 0;
        for (long length : segments) {
            if (length < 0) {
                throw new IllegalArgumentException(
                        "segment lengths must be >= 0, got " + Arrays.toString(segments));
            }
            total += length;
            occupied += length > 0 ? 1 : 0;
        }
        if (shape.dimension() != 2 || shape.get(0) != total) {
            throw new IllegalArgumentException(
                    "StackedExperts expects grouped rows of shape [M="
                            + total
                            + ", d], got "
                            + shape);
        }
        if (occupied == 0) {
            return rows.getManager().zeros(shape, rows.getDataType(), rows.getDevice());
        }
        NDList weight1 = perExpert(parameterStore, w1, rows, training);
        NDList bias1 = perExpert(parameterStore, b1, rows, training);
        NDList weight2 = perExpert(parameterStore, w2, rows, training);
        NDList bias2 = perExpert(parameterStore, b2, rows, training);
        long[] cuts = new long[occupied - 1];
        int[] owners = new int[occupied];
        long end = 0;
        for (int e = 0, i = 0; e < numExperts; e++) {
            if (segments[e] > 0) {
                if (i > 0) {
                    cuts[i - 1] = end;
                }
                owners[i++] = e;
                end += segments[e];
            }
        }
        NDList pieces = occupied == 1 ? new NDList(rows) : rows.split(cuts, 0);
        NDList outputs = new NDList(occupied);
        for (int i = 0; i < occupied; i++) {
            int e = owners[i];
            NDArray hidden =
                    activation.apply(
                            pieces.get(i)
                                    .matMul(weight1.get(e).squeeze(0))
                                    .add(bias1.get(e).squeeze(0)));
            if (dropout > 0f) {
                hidden = Dropout.dropout(hidden, dropout, training).singletonOrThrow();
            }
            outputs.add(hidden.matMul(weight2.get(e).squeeze(0)).add(bias2.get(e).squeeze(0)));
        }
        return occupied == 1 ? outputs.head() : NDArrays.concat(outputs, 0);
    }

    /**
     * The E per-expert views of a stacked parameter, on the rows' manager: one split (one backward
     * concatenation), never a slice per expert, whose backward would fill a full-size zero gradient
     * each.
     */
    private NDList perExpert(
            ParameterStore store, Parameter parameter, NDArray rows, boolean training) {
        NDArray all = store.getValue(parameter, rows.getDevice(), training);
        // As in value(): split in a scope so the views do not land on the parameter's manager.
        try (NDManager scope = all.getManager().newSubManager()) {
            scope.tempAttachAll(all);
            NDList views = all.split(numExperts, 0);
            views.attach(rows.getManager());
            return views;
        }
    }

    private static NDArray value(
            ParameterStore store,
            Parameter parameter,
            NDArray slots,
            boolean training,
            NDIndex subset) {
        NDArray all = store.getValue(parameter, slots.getDevice(), training);
        if (subset == null) {
            return all;
        }
        // The engine puts the gathered copy (and its index handle) on the parameter's long-lived
        // manager: run the gather in a scope and hand the result to the slots' manager.
        try (NDManager scope = all.getManager().newSubManager()) {
            scope.tempAttachAll(all);
            NDArray gathered = all.get(subset);
            gathered.attach(slots.getManager());
            return gathered;
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(parameterStore, inputs.singletonOrThrow(), training));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape input = inputShapes[0];
        if (input.dimension() != 3) {
            throw new IllegalArgumentException(
                    "StackedExperts expects input of shape [E, C, d], got " + input);
        }
        long d = input.get(2);
        w1.setShape(new Shape(numExperts, d, hiddenSize));
        b1.setShape(new Shape(numExperts, 1, hiddenSize));
        w2.setShape(new Shape(numExperts, hiddenSize, d));
        b2.setShape(new Shape(numExperts, 1, d));
    }

    /**
     * Returns the number of experts E.
     *
     * @return the number of experts
     */
    public int getNumExperts() {
        return numExperts;
    }

    /**
     * Returns the hidden width h of each expert.
     *
     * @return the hidden size
     */
    public int getHiddenSize() {
        return hiddenSize;
    }

    /**
     * Returns the dropout probability applied after the activation in training.
     *
     * @return the dropout probability
     */
    public float getDropout() {
        return dropout;
    }

    /**
     * Returns the activation between the two layers.
     *
     * @return the activation
     */
    public ExpertActivation getActivation() {
        return activation;
    }

    /** The builder for {@link StackedExperts}. */
    public static final class Builder {

        private int numExperts;
        private int hiddenSize;
        private float dropout;
        private ExpertActivation activation = ExpertActivation.GELU;

        Builder() {}

        /**
         * Sets the number of experts E (required, at least 1).
         *
         * @param numExperts the number of experts
         * @return this builder
         */
        public Builder setExperts(int numExperts) {
            this.numExperts = numExperts;
            return this;
        }

        /**
         * Sets the hidden width h of each expert (required, at least 1).
         *
         * @param hiddenSize the hidden width
         * @return this builder
         */
        public Builder setHiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /**
         * Sets the dropout probability between the two layers (0 &lt;= p &lt; 1); defaults to 0.
         *
         * @param dropout the dropout probability
         * @return this builder
         */
        public Builder optDropout(float dropout) {
            this.dropout = dropout;
            return this;
        }

        /**
         * Sets the activation between the two layers (default {@link ExpertActivation#GELU}).
         *
         * @param activation the activation
         * @return this builder
         */
        public Builder optActivation(ExpertActivation activation) {
            if (activation == null) {
                throw new IllegalArgumentException("activation must not be null");
            }
            this.activation = activation;
            return this;
        }

        /**
         * Builds the experts block.
         *
         * @return a new block
         * @throws IllegalArgumentException if experts &lt; 1, hiddenSize &lt; 1 or dropout is
         *     outside [0, 1)
         */
        public StackedExperts build() {
            if (numExperts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + numExperts);
            }
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
            }
            if (!(dropout >= 0f && dropout < 1f)) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
            return new StackedExperts(this);
        }
    }
}
