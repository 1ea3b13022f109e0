package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import io.github.moge.core.BatchScope;
import io.github.moge.core.ops.ScalarOps;
import io.github.moge.vision.model.AttentionHeads;

/**
 * Swin V2 window attention: scaled cosine attention {@code softmax(cos(q, k) * exp(min(s, log 100))
 * + 16 sigmoid(B) + mask) v} with a learnable per-head log scale s (initially log 10, clamped at
 * log 100), and a continuous relative position bias B produced by a two-layer MLP (2 -&gt; 512
 * -&gt; heads, ReLU) from {@link RelativePositions#logSpacedTable}.
 *
 * <p>As in V2 the fused projection has query and value biases but no key bias. Children: {@code
 * qkv} (no bias), {@code cpb_fc1}, {@code cpb_fc2} (no bias), {@code proj}; parameters {@code
 * q_bias}, {@code v_bias}, {@code logit_scale} [heads, 1, 1].
 */
public final class WindowAttentionV2 extends WindowAttention {

    /** Hidden width of the position-bias MLP. */
    public static final int BIAS_MLP_HIDDEN = 512;

    private static final float MAX_LOG_SCALE = (float) Math.log(100);

    private final float attentionDropout;
    private final float projectionDropout;
    private final Linear qkv;
    private final Linear cpbFc1;
    private final Linear cpbFc2;
    private final Linear proj;
    private final Parameter qBias;
    private final Parameter vBias;
    private final Parameter logitScale;

    /**
     * Creates the block.
     *
     * @param width C
     * @param heads must divide C
     * @param window w
     * @param attentionDropout dropout on the attention weights
     * @param projectionDropout dropout after the output projection
     */
    public WindowAttentionV2(
            int width, int heads, int window, float attentionDropout, float projectionDropout) {
        super(width, heads, window);
        this.attentionDropout = attentionDropout;
        this.projectionDropout = projectionDropout;
        this.qkv =
                addChildBlock("qkv", Linear.builder().setUnits(3L * width).optBias(false).build());
        this.cpbFc1 = addChildBlock("cpb_fc1", Linear.builder().setUnits(BIAS_MLP_HIDDEN).build());
        this.cpbFc2 =
                addChildBlock("cpb_fc2", Linear.builder().setUnits(heads).optBias(false).build());
        this.proj = addChildBlock("proj", Linear.builder().setUnits(width).build());
        this.qBias = addParameter(bias("q_bias", width));
        this.vBias = addParameter(bias("v_bias", width));
        this.logitScale =
                addParameter(
                        Parameter.builder()
                                .setName("logit_scale")
                                .setType(Parameter.Type.OTHER)
                                .optInitializer(new ConstantInitializer((float) Math.log(10)))
                                .optShape(new Shape(heads, 1, 1))
                                .build());
    }

    private static Parameter bias(String name, int width) {
        return Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.BIAS)
                .optShape(new Shape(width))
                .build();
    }

    /**
     * Returns the relative position bias 16 * sigmoid(MLP(table)) for every pixel pair.
     *
     * @param parameterStore the parameter store
     * @param reference an array on the target device with the target type
     * @param training whether this is a training pass
     * @return [heads, w^2, w^2]
     */
    public NDArray positionBias(
            ParameterStore parameterStore, NDArray reference, boolean training) {
        NDArray coords =
                RelativePositions.logSpacedTable(
                        reference.getManager(), window, reference.getDataType());
        NDArray hidden =
                Activation.relu(
                        cpbFc1.forward(parameterStore, new NDList(coords), training).head());
        NDArray table = cpbFc2.forward(parameterStore, new NDList(hidden), training).head();
        return ScalarOps.mul(Activation.sigmoid(pairwise(table)), 16);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray attend(
            ParameterStore parameterStore, NDArray windows, NDArray mask, boolean training) {
        NDArray q =
                BatchScope.view(
                        parameterStore.getValue(qBias, windows.getDevice(), training), windows);
        NDArray v = parameterStore.getValue(vBias, windows.getDevice(), training);
        NDArray bias = q.concat(q.zerosLike()).concat(v);
        NDArray fused = qkv.forward(parameterStore, new NDList(windows), training).head().add(bias);
        NDList qkvHeads = AttentionHeads.splitQkv(fused, heads);
        NDArray query = normalize(qkvHeads.get(0));
        NDArray key = normalize(qkvHeads.get(1));
        NDArray scale =
                ScalarOps.minimum(
                                BatchScope.view(
                                        parameterStore.getValue(
                                                logitScale, windows.getDevice(), training),
                                        windows),
                                MAX_LOG_SCALE)
                        .exp();
        NDArray logits = query.matMul(key.transpose(0, 1, 3, 2)).mul(scale);
        logits = applyMask(logits.add(positionBias(parameterStore, windows, training)), mask);
        NDArray weights = logits.softmax(-1);
        if (attentionDropout > 0f) {
            weights = Dropout.dropout(weights, attentionDropout, training).singletonOrThrow();
        }
        NDArray out = AttentionHeads.merge(weights.matMul(qkvHeads.get(2)));
        out = proj.forward(parameterStore, new NDList(out), training).head();
        if (projectionDropout > 0f) {
            out = Dropout.dropout(out, projectionDropout, training).singletonOrThrow();
        }
        return out;
    }

    /** Divides by the L2 norm over the last axis (at least 1e-12), like F.normalize. */
    private static NDArray normalize(NDArray x) {
        return x.div(ScalarOps.maximum(x.square().sum(new int[] {-1}, true).sqrt(), 1e-12));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
        Shape coords = new Shape((2L * window - 1) * (2L * window - 1), 2);
        cpbFc1.initialize(manager, dataType, coords);
        cpbFc2.initialize(manager, dataType, new Shape(coords.get(0), BIAS_MLP_HIDDEN));
    }
}
