package io.github.moge.vision.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.moge.core.BatchScope;
import io.github.moge.core.ops.ScalarOps;
import io.github.moge.vision.model.AttentionHeads;

/**
 * Swin V1 window attention: {@code softmax(q k^T / sqrt(Dh) + B + mask) v}, where B is read from a
 * learned table of (2w - 1)^2 x heads relative position biases by {@link RelativePositions#index}.
 * Children {@code qkv} and {@code proj}; parameter {@code relative_position_bias_table}.
 */
public final class WindowAttentionV1 extends WindowAttention {

    private final float attentionDropout;
    private final float projectionDropout;
    private final Linear qkv;
    private final Linear proj;
    private final Parameter biasTable;

    /**
     * Creates the block.
     *
     * @param width C
     * @param heads must divide C
     * @param window w
     * @param attentionDropout dropout on the attention weights
     * @param projectionDropout dropout after the output projection
     */
    public WindowAttentionV1(
            int width, int heads, int window, float attentionDropout, float projectionDropout) {
        super(width, heads, window);
        this.attentionDropout = attentionDropout;
        this.projectionDropout = projectionDropout;
        this.qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
        this.proj = addChildBlock("proj", Linear.builder().setUnits(width).build());
        this.biasTable =
                addParameter(
                        Parameter.builder()
                                .setName("relative_position_bias_table")
                                .setType(Parameter.Type.OTHER)
                                .optInitializer(new NormalInitializer(0.02f))
                                .optShape(new Shape((2L * window - 1) * (2L * window - 1), heads))
                                .build());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray attend(
            ParameterStore parameterStore, NDArray windows, NDArray mask, boolean training) {
        NDList qkvHeads =
                AttentionHeads.splitQkv(
                        qkv.forward(parameterStore, new NDList(windows), training).head(), heads);
        double scale = 1.0 / Math.sqrt((double) width / heads);
        NDArray logits =
                ScalarOps.mul(qkvHeads.get(0), scale).matMul(qkvHeads.get(1).transpose(0, 1, 3, 2));
        NDArray table =
                BatchScope.view(
                        parameterStore.getValue(biasTable, windows.getDevice(), training), windows);
        logits = applyMask(logits.add(pairwise(table)), mask);
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

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
    }
}
