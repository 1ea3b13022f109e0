package io.github.moge.vision.model.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.model.HandForward;
import io.github.moge.vision.model.ModelChecks;
import io.github.moge.vision.model.TransformerLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

class VisionTransformerTest {

    private static VisionTransformer.Builder tiny() {
        return VisionTransformer.builder()
                .setImageSize(16)
                .setPatchSize(4)
                .setWidth(16)
                .setDepth(4)
                .setHeads(2)
                .setClasses(5)
                .optMlpRatio(2f);
    }

    @Test
    void denseShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(3, 3, 16, 16));
            NDArray images = manager.randomNormal(new Shape(3, 3, 16, 16));
            ParameterStore store = new ParameterStore(manager, false);
            NDList train = vit.forward(store, new NDList(images), true);
            assertEquals(1, train.size());
            assertEquals(new Shape(3, 5), train.head().getShape());
            assertEquals(new Shape(3, 5), vit.getOutputShapes(new Shape[] {images.getShape()})[0]);
            assertTrue(SigmaScheduleListener.findMoeBlocks(vit).isEmpty());
        }
    }

    @Test
    void denseForwardEqualsTheHandComputedOneOnFixedWeights() {
        // One block, width 4, 2 heads, 4 patches of 2 x 2 on 2-channel 4 x 4 images, MLP 4-8-4.
        int side = 4;
        int patch = 2;
        int width = 4;
        int heads = 2;
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit =
                    VisionTransformer.builder()
                            .setImageSize(side)
                            .setPatchSize(patch)
                            .setWidth(width)
                            .setDepth(1)
                            .setHeads(heads)
                            .setClasses(3)
                            .optMlpRatio(2f)
                            .optDropPath(0f)
                            .build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(2, 2, side, side));
            HandForward w = HandForward.fix(vit);
            Pair<NDArray, double[][][][]> images = HandForward.images(manager, 2, 2, side);
            NDArray logits =
                    vit.forward(
                                    new ParameterStore(manager, false),
                                    new NDList(images.getKey()),
                                    false)
                            .singletonOrThrow();

            double[][] expected = new double[2][];
            for (int b = 0; b < 2; b++) {
                double[][] patches =
                        HandForward.patchEmbed(
                                images.getValue()[b],
                                patch,
                                w.matrix("patch_embed_proj_weight"),
                                w.vector("patch_embed_proj_bias"));
                double[] cls = w.vector("cls_token");
                double[] pos = w.vector("pos_embed");
                double[][] x = new double[patches.length + 1][width];
                for (int t = 0; t < x.length; t++) {
                    for (int d = 0; d < width; d++) {
                        x[t][d] = (t == 0 ? cls[d] : patches[t - 1][d]) + pos[t * width + d];
                    }
                }
                String block = "block0_";
                // x + attn(LN x): fused qkv, per head softmax(q k^T / sqrt(dh)) v, projection.
                double[][] h =
                        HandForward.layerNorm(
                                x,
                                w.vector(block + "attention_norm_gamma"),
                                w.vector(block + "attention_norm_beta"));
                double[][] qkv =
                        HandForward.linear(
                                h,
                                w.matrix(block + "attention_body_qkv_weight"),
                                w.vector(block + "attention_body_qkv_bias"));
                int dh = width / heads;
                double[][] attended = new double[x.length][width];
                for (int head = 0; head < heads; head++) {
                    double[][] scores = new double[x.length][x.length];
                    for (int i = 0; i < x.length; i++) {
                        for (int j = 0; j < x.length; j++) {
                            for (int e = 0; e < dh; e++) {
                                scores[i][j] +=
                                        qkv[i][head * dh + e] * qkv[j][width + head * dh + e];
                            }
                            scores[i][j] /= Math.sqrt(dh);
                        }
                    }
                    double[][] p = HandForward.softmaxRows(scores);
                    for (int i = 0; i < x.length; i++) {
                        for (int e = 0; e < dh; e++) {
                            for (int j = 0; j < x.length; j++) {
                                attended[i][head * dh + e] +=
                                        p[i][j] * qkv[j][2 * width + head * dh + e];
                            }
                        }
                    }
                }
                x =
                        HandForward.add(
                                x,
                                HandForward.linear(
                                        attended,
                                        w.matrix(block + "attention_body_proj_weight"),
                                        w.vector(block + "attention_body_proj_bias")));
                // x + fc2(gelu(fc1(LN x))).
                h =
                        HandForward.layerNorm(
                                x,
                                w.vector(block + "feedforward_norm_gamma"),
                                w.vector(block + "feedforward_norm_beta"));
                h =
                        HandForward.gelu(
                                HandForward.linear(
                                        h,
                                        w.matrix(block + "feedforward_body_fc1_weight"),
                                        w.vector(block + "feedforward_body_fc1_bias")));
                x =
                        HandForward.add(
                                x,
                                HandForward.linear(
                                        h,
                                        w.matrix(block + "feedforward_body_fc2_weight"),
                                        w.vector(block + "feedforward_body_fc2_bias")));
                // Final LN, the class token, the head.
                x = HandForward.layerNorm(x, w.vector("norm_gamma"), w.vector("norm_beta"));
                expected[b] =
                        HandForward.linear(
                                new double[][] {x[0]},
                                w.matrix("head_weight"),
                                w.vector("head_bias"))[0];
            }
            HandForward.assertLogits(expected, logits);
        }
    }

    @Test
    void vitMogeTrainingContractAndGradients() {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().optMoe(ModelChecks.moge()).build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            List<MoeBlock> moe = SigmaScheduleListener.findMoeBlocks(vit);
            assertEquals(2, moe.size());
            // The last two even-numbered blocks (1-based 2 and 4) hold the MoE layers.
            List<TransformerLayer> layers = vit.getLayers();
            assertEquals(
                    List.of(false, true, false, true),
                    layers.stream().map(TransformerLayer::isMoe).toList());
            assertEquals(List.of(1, 3), vit.getPlacement().getIndices());
            ModelChecks.checkTrainingContractAndGradients(
                    vit, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 5, 2, true);
        }
    }

    @Test
    void vitMoeEmitsBalanceTermsOnly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit =
                    tiny().optMoe(ModelChecks.moe()).optMoeLayers(List.of(0, 1, 3)).build();
            vit.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            assertEquals(3, SigmaScheduleListener.findMoeBlocks(vit).size());
            ModelChecks.checkTrainingContractAndGradients(
                    vit, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 5, 3, false);
        }
    }

    @Test
    void configurationErrorsAreExplained() {
        IllegalArgumentException patch =
                assertThrows(IllegalArgumentException.class, () -> tiny().setPatchSize(5).build());
        assertEquals("image size 16x16 is not divisible by the patch size 5", patch.getMessage());
        IllegalArgumentException heads =
                assertThrows(IllegalArgumentException.class, () -> tiny().setHeads(3).build());
        assertEquals("the number of heads (3) must divide the width (16)", heads.getMessage());
        IllegalArgumentException index =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> tiny().optMoe(ModelChecks.moe()).optMoeLayers(List.of(4)).build());
        assertEquals(
                "MoE placement index 4 is out of range: the model has 4 blocks (0..3)",
                index.getMessage());
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = tiny().build();
            assertThrows(
                    IllegalArgumentException.class,
                    () -> vit.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 32, 32)));
        }
    }
}
