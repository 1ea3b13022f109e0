package io.github.moge.vision.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.core.MoeBlock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sparse upcycling: initialises a MoE model from a dense checkpoint of the same architecture. Every
 * parameter the two models share (embeddings, attention, norms, head, dense feed-forwards) is
 * copied; every expert of each MoE layer gets the weights of the dense {@link MlpBlock} at the same
 * block path (W1 = fc1.weight^T, b1 = fc1.bias, W2 = fc2.weight^T, b2 = fc2.bias, the same in each
 * of the E slices of {@link io.github.moge.core.experts.StackedExperts}); routers keep their fresh
 * initialisation.
 *
 * <p>Paths are DJL parameter names as {@link Block#getParameters()} returns them: for a MoE layer
 * at path {@code P} (the key prefix of its parameters), the dense parameters are {@code P +
 * "01fc1_weight"}, {@code P + "01fc1_bias"}, {@code P + "02fc2_weight"} and {@code P +
 * "02fc2_bias"}. The models of this package name a feed-forward's block the same whether it is
 * dense or MoE, so the paths line up.
 */
public final class SparseUpcycling {

    private SparseUpcycling() {}

    /**
     * Upcycles from a dense model's block (e.g. loaded from a checkpoint).
     *
     * @param dense the initialised dense model
     * @param moe the initialised MoE model of the same architecture
     * @return the number of MoE layers initialised from dense feed-forwards
     */
    public static int upcycle(Block dense, Block moe) {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : dense.getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalArgumentException(
                        "the dense model is not initialised: " + p.getKey());
            }
            parameters.put(p.getKey(), p.getValue().getArray());
        }
        return upcycle(parameters, moe);
    }

    /**
     * Upcycles from a dense model's parameters by path.
     *
     * @param dense the dense parameters, keyed by DJL parameter path
     * @param moe the initialised MoE model of the same architecture
     * @return the number of MoE layers initialised from dense feed-forwards
     */
    public static int upcycle(Map<String, NDArray> dense, Block moe) {
        int[] layers = {0};
        walk(moe, "", dense, layers);
        return layers[0];
    }

    private static void walk(Block block, String prefix, Map<String, NDArray> dense, int[] layers) {
        if (block instanceof MoeBlock) {
            upcycleLayer((MoeBlock) block, prefix, dense);
            layers[0]++;
            return;
        }
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            String key = prefix + p.getKey();
            NDArray source = dense.get(key);
            if (source == null) {
                throw new IllegalArgumentException(
                        "the dense parameters have no " + key + ": not the same architecture");
            }
            copy(source, p.getValue(), key);
        }
        for (Pair<String, Block> child : block.getChildren()) {
            walk(child.getValue(), prefix + child.getKey() + "_", dense, layers);
        }
    }

    private static void upcycleLayer(MoeBlock layer, String prefix, Map<String, NDArray> dense) {
        String fc1 = prefix + "01" + MlpBlock.FC1 + "_";
        String fc2 = prefix + "02" + MlpBlock.FC2 + "_";
        NDArray w1 = require(dense, fc1 + "weight", prefix); // [h, d]
        NDArray b1 = require(dense, fc1 + "bias", prefix); // [h]
        NDArray w2 = require(dense, fc2 + "weight", prefix); // [d, h]
        NDArray b2 = require(dense, fc2 + "bias", prefix); // [d]
        int experts = layer.getNumExperts();
        Map<String, NDArray> stacked = new LinkedHashMap<>();
        stacked.put("w1", tile(w1.transpose(), experts));
        stacked.put("b1", tile(b1.reshape(1, -1), experts));
        stacked.put("w2", tile(w2.transpose(), experts));
        stacked.put("b2", tile(b2.reshape(1, -1), experts));
        for (Pair<String, Parameter> p : layer.getExperts().getDirectParameters()) {
            NDArray source = stacked.get(p.getKey());
            if (source == null) {
                throw new IllegalStateException("unexpected expert parameter " + p.getKey());
            }
            copy(source, p.getValue(), prefix + "experts_" + p.getKey());
        }
    }

    private static NDArray tile(NDArray matrix, int experts) {
        Shape s = matrix.getShape();
        return matrix.expandDims(0).broadcast(experts, s.get(0), s.get(1));
    }

    private static NDArray require(Map<String, NDArray> dense, String key, String layer) {
        NDArray array = dense.get(key);
        if (array == null) {
            throw new IllegalArgumentException(
                    "no dense feed-forward parameter " + key + " for the MoE layer at " + layer);
        }
        return array;
    }

    private static void copy(NDArray source, Parameter target, String key) {
        if (!target.isInitialized()) {
            throw new IllegalArgumentException(
                    "initialise the MoE model before upcycling (" + key + ")");
        }
        NDArray array = target.getArray();
        if (!array.getShape().equals(source.getShape())) {
            throw new IllegalArgumentException(
                    "shape mismatch for "
                            + key
                            + ": dense "
                            + source.getShape()
                            + ", MoE "
                            + array.getShape());
        }
        NDArray value =
                source.toType(array.getDataType(), false).toDevice(array.getDevice(), false);
        array.set(value.toByteBuffer());
    }
}
