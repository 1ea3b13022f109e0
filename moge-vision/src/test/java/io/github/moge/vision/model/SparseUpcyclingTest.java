package io.github.moge.vision.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.MoeBlock;
import io.github.moge.vision.model.swin.SwinTransformer;
import io.github.moge.vision.model.swin.SwinVersion;
import io.github.moge.vision.model.vit.VisionTransformer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SparseUpcyclingTest {

    private static VisionTransformer.Builder vit() {
        return VisionTransformer.builder()
                .setImageSize(16)
                .setPatchSize(4)
                .setWidth(16)
                .setDepth(4)
                .setHeads(2)
                .setClasses(5)
                .optMlpRatio(2f);
    }

    /**
     * Every expert of every MoE layer computes the dense feed-forward of its block; the rest is
     * copied.
     */
    private static void checkUpcycled(
            Block dense,
            Block moe,
            List<Block> denseFfn,
            List<MoeBlock> moeFfn,
            NDManager manager) {
        ParameterStore store = new ParameterStore(manager, false);
        for (int layer = 0; layer < moeFfn.size(); layer++) {
            MoeBlock moeLayer = moeFfn.get(layer);
            int experts = moeLayer.getNumExperts();
            long width = ((MlpBlock) denseFfn.get(layer)).getWidth();
            NDArray tokens = manager.randomNormal(new Shape(experts, 5, width));
            NDArray expertOut = moeLayer.getExperts().apply(store, tokens, false);
            for (int e = 0; e < experts; e++) {
                NDArray x = tokens.get(e);
                NDArray expected = denseFfn.get(layer).forward(store, new NDList(x), false).head();
                assertArrayEquals(
                        expected.toFloatArray(),
                        expertOut.get(e).toFloatArray(),
                        1e-5f,
                        "layer " + layer + " expert " + e);
            }
        }
        int shared = 0;
        for (Pair<String, Parameter> p : moe.getParameters()) {
            Parameter source = dense.getParameters().get(p.getKey());
            if (source != null) {
                assertArrayEquals(
                        source.getArray().toFloatArray(),
                        p.getValue().getArray().toFloatArray(),
                        p.getKey());
                shared++;
            } else {
                assertTrue(
                        p.getKey().contains("router_") || p.getKey().contains("experts_"),
                        p.getKey());
            }
        }
        assertTrue(shared > 10);
    }

    @Test
    void upcycledVitExpertsEqualTheDenseFeedForward() {
        Engine.getInstance().setRandomSeed(31);
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer dense = vit().build();
            VisionTransformer moe = vit().optMoe(ModelChecks.moge()).build();
            Shape input = new Shape(2, 3, 16, 16);
            dense.initialize(manager, DataType.FLOAT32, input);
            moe.initialize(manager, DataType.FLOAT32, input);
            NDArray routerBefore =
                    moe.getLayers()
                            .get(1)
                            .getFeedForward()
                            .getParameters()
                            .get(0)
                            .getValue()
                            .getArray()
                            .duplicate();
            assertEquals(2, SparseUpcycling.upcycle(dense, moe));
            List<Block> denseFfn =
                    List.of(
                            dense.getLayers().get(1).getFeedForward(),
                            dense.getLayers().get(3).getFeedForward());
            List<MoeBlock> moeFfn =
                    List.of(
                            (MoeBlock) moe.getLayers().get(1).getFeedForward(),
                            (MoeBlock) moe.getLayers().get(3).getFeedForward());
            checkUpcycled(dense, moe, denseFfn, moeFfn, manager);
            NDArray routerAfter = moeFfn.get(0).getParameters().get(0).getValue().getArray();
            assertArrayEquals(
                    routerBefore.toFloatArray(),
                    routerAfter.toFloatArray(),
                    "the router keeps its initialisation");
            // The upcycled model runs; with identical experts and top-1, each token gets gate *
            // FFN(x).
            NDArray out =
                    moe.forward(
                                    new ParameterStore(manager, false),
                                    new NDList(manager.randomNormal(input)),
                                    false)
                            .head();
            assertFalse(out.isNaN().any().getBoolean());
        }
    }

    @Test
    void upcycledSwinV1ExpertsEqualTheDenseFeedForward() {
        Engine.getInstance().setRandomSeed(32);
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer.Builder base =
                    SwinTransformer.builder()
                            .optVersion(SwinVersion.V1)
                            .setImageSize(16)
                            .setPatchSize(2)
                            .setEmbedDim(8)
                            .setDepths(2, 2)
                            .setHeads(1, 2)
                            .setWindowSize(4)
                            .setClasses(3)
                            .optMlpRatio(2f);
            SwinTransformer dense = base.build();
            SwinTransformer moe =
                    base.optMoe(ModelChecks.moe()).optMoeLayers(List.of(1, 3)).build();
            Shape input = new Shape(1, 3, 16, 16);
            dense.initialize(manager, DataType.FLOAT32, input);
            moe.initialize(manager, DataType.FLOAT32, input);
            assertEquals(2, SparseUpcycling.upcycle(dense, moe));
            checkUpcycled(
                    dense,
                    moe,
                    List.of(
                            dense.getLayers().get(1).getFeedForward(),
                            dense.getLayers().get(3).getFeedForward()),
                    List.of(
                            (MoeBlock) moe.getLayers().get(1).getFeedForward(),
                            (MoeBlock) moe.getLayers().get(3).getFeedForward()),
                    manager);
        }
    }

    @Test
    void refusesADifferentArchitecture() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer dense = vit().setWidth(32).build();
            VisionTransformer moe = vit().optMoe(ModelChecks.moe()).build();
            Shape input = new Shape(1, 3, 16, 16);
            dense.initialize(manager, DataType.FLOAT32, input);
            moe.initialize(manager, DataType.FLOAT32, input);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> SparseUpcycling.upcycle(dense, moe));
            assertTrue(e.getMessage().startsWith("shape mismatch for "), e.getMessage());
        }
    }
}
