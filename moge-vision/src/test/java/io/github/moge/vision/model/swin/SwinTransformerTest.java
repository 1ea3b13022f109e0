package io.github.moge.vision.model.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.vision.model.HandForward;
import io.github.moge.vision.model.ModelChecks;
import io.github.moge.vision.model.MoePlacement;
import io.github.moge.vision.model.TransformerLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwinTransformerTest {

    private static SwinTransformer.Builder tiny(SwinVersion version) {
        return SwinTransformer.builder()
                .optVersion(version)
                .setImageSize(16)
                .setPatchSize(2)
                .setEmbedDim(8)
                .setDepths(2, 2)
                .setHeads(1, 2)
                .setWindowSize(4)
                .setClasses(6)
                .optMlpRatio(2f);
    }

    @Test
    void denseShapesV1AndV2() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (SwinVersion version : SwinVersion.values()) {
                SwinTransformer swin = tiny(version).build();
                swin.initialize(manager, DataType.FLOAT32, new Shape(3, 3, 16, 16));
                NDArray images = manager.randomNormal(new Shape(3, 3, 16, 16));
                NDList out =
                        swin.forward(new ParameterStore(manager, false), new NDList(images), true);
                assertEquals(1, out.size());
                assertEquals(new Shape(3, 6), out.head().getShape());
                // Stage 0 (8x8, window 4) alternates shift 0 and 2; stage 1 (4x4) shrinks to one
                // window.
                List<TransformerLayer> layers = swin.getLayers();
                int[] shifts =
                        layers.stream()
                                .mapToInt(
                                        l -> ((ShiftedWindowAttention) l.getAttention()).getShift())
                                .toArray();
                assertArrayEquals(new int[] {0, 2, 0, 0}, shifts);
            }
        }
    }

    @Test
    void denseV2ForwardEqualsTheHandComputedOneOnFixedWeights() {
        // One stage of two blocks on a 4 x 4 map (8 px, patch 2), window 2: block 0 regular
        // windows, block 1 shifted by 1 with the mask; width 4, 2 heads, MLP 4 -> 8 -> 4, V2.
        int side = 8;
        int patch = 2;
        int map = side / patch;
        int window = 2;
        int width = 4;
        int heads = 2;
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin =
                    SwinTransformer.builder()
                            .optVersion(SwinVersion.V2)
                            .setImageSize(side)
                            .setPatchSize(patch)
                            .setEmbedDim(width)
                            .setDepths(2)
                            .setHeads(heads)
                            .setWindowSize(window)
                            .setClasses(3)
                            .optMlpRatio(2f)
                            .optDropPath(0f)
                            .build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 2, side, side));
            HandForward w = HandForward.fix(swin);
            for (int block = 0; block < 2; block++) {
                // Above log 100 for head 0, so the clamp of the logit scale is exercised.
                w.set("stage0_block" + block + "_attention_body_attn_logit_scale", 5f, 0.7f);
            }
            Pair<NDArray, double[][][][]> images = HandForward.images(manager, 2, 2, side);
            NDArray logits =
                    swin.forward(
                                    new ParameterStore(manager, false),
                                    new NDList(images.getKey()),
                                    false)
                            .singletonOrThrow();

            double[][] expected = new double[2][];
            for (int b = 0; b < 2; b++) {
                double[][] x =
                        HandForward.layerNorm(
                                HandForward.patchEmbed(
                                        images.getValue()[b],
                                        patch,
                                        w.matrix("patch_embed_proj_weight"),
                                        w.vector("patch_embed_proj_bias")),
                                w.vector("patch_embed_norm_gamma"),
                                w.vector("patch_embed_norm_beta"));
                for (int block = 0; block < 2; block++) {
                    String prefix = "stage0_block" + block + "_";
                    double[][] attended =
                            windowAttentionV2(
                                    w,
                                    prefix + "attention_body_attn_",
                                    x,
                                    map,
                                    window,
                                    block == 1 ? window / 2 : 0,
                                    heads);
                    x =
                            HandForward.add(
                                    x,
                                    HandForward.layerNorm(
                                            attended,
                                            w.vector(prefix + "attention_norm_gamma"),
                                            w.vector(prefix + "attention_norm_beta")));
                    double[][] mlp =
                            HandForward.linear(
                                    HandForward.gelu(
                                            HandForward.linear(
                                                    x,
                                                    w.matrix(
                                                            prefix + "feedforward_body_fc1_weight"),
                                                    w.vector(
                                                            prefix + "feedforward_body_fc1_bias"))),
                                    w.matrix(prefix + "feedforward_body_fc2_weight"),
                                    w.vector(prefix + "feedforward_body_fc2_bias"));
                    x =
                            HandForward.add(
                                    x,
                                    HandForward.layerNorm(
                                            mlp,
                                            w.vector(prefix + "feedforward_norm_gamma"),
                                            w.vector(prefix + "feedforward_norm_beta")));
                }
                x = HandForward.layerNorm(x, w.vector("norm_gamma"), w.vector("norm_beta"));
                double[] pooled = new double[width];
                for (double[] token : x) {
                    for (int d = 0; d < width; d++) {
                        pooled[d] += token[d] / x.length;
                    }
                }
                expected[b] =
                        HandForward.linear(
                                new double[][] {pooled},
                                w.matrix("head_weight"),
                                w.vector("head_bias"))[0];
            }
            HandForward.assertLogits(expected, logits);
        }
    }

    /**
     * Swin V2 (shifted-)window attention of one image's tokens [map * map][C] from its definition:
     * roll the map by -shift, attend within each window with scaled cosine attention (logit scale
     * exp(min(s, log 100))), the bias 16 sigmoid(MLP(log-spaced relative coordinates)) and, when
     * shifted, -100 between pixels of different regions, project, and roll back.
     */
    private static double[][] windowAttentionV2(
            HandForward w, String prefix, double[][] x, int map, int window, int shift, int heads) {
        int channels = x[0].length;
        int dh = channels / heads;
        double[][] qkvWeight = w.matrix(prefix + "qkv_weight");
        double[] qBias = w.vector(prefix + "q_bias");
        double[] vBias = w.vector(prefix + "v_bias");
        double[] logitScale = w.vector(prefix + "logit_scale");
        double[][] rolledOut = new double[map * map][];
        int n = window * window;
        for (int wr = 0; wr < map / window; wr++) {
            for (int wc = 0; wc < map / window; wc++) {
                int[] rows = new int[n];
                int[] cols = new int[n];
                double[][] tokens = new double[n][];
                for (int i = 0; i < n; i++) {
                    rows[i] = wr * window + i / window;
                    cols[i] = wc * window + i % window;
                    tokens[i] = x[((rows[i] + shift) % map) * map + (cols[i] + shift) % map];
                }
                double[][] qkv = HandForward.linear(tokens, qkvWeight, null);
                double[][] out = new double[n][channels];
                for (int h = 0; h < heads; h++) {
                    double scale = Math.exp(Math.min(logitScale[h], Math.log(100)));
                    double[][] logits = new double[n][n];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            double[] q = new double[dh];
                            double[] k = new double[dh];
                            for (int e = 0; e < dh; e++) {
                                q[e] = qkv[i][h * dh + e] + qBias[h * dh + e];
                                k[e] = qkv[j][channels + h * dh + e];
                            }
                            double cosine =
                                    dot(q, k)
                                            / Math.max(Math.sqrt(dot(q, q)), 1e-12)
                                            / Math.max(Math.sqrt(dot(k, k)), 1e-12);
                            double bias =
                                    positionBias(
                                            w,
                                            prefix,
                                            i / window - j / window,
                                            i % window - j % window,
                                            window)[h];
                            boolean sameRegion =
                                    region(rows[i], map, window, shift)
                                                    == region(rows[j], map, window, shift)
                                            && region(cols[i], map, window, shift)
                                                    == region(cols[j], map, window, shift);
                            logits[i][j] =
                                    cosine * scale
                                            + 16 / (1 + Math.exp(-bias))
                                            + (sameRegion ? 0 : -100);
                        }
                    }
                    double[][] p = HandForward.softmaxRows(logits);
                    for (int i = 0; i < n; i++) {
                        for (int e = 0; e < dh; e++) {
                            for (int j = 0; j < n; j++) {
                                out[i][h * dh + e] +=
                                        p[i][j]
                                                * (qkv[j][2 * channels + h * dh + e]
                                                        + vBias[h * dh + e]);
                            }
                        }
                    }
                }
                double[][] projected =
                        HandForward.linear(
                                out,
                                w.matrix(prefix + "proj_weight"),
                                w.vector(prefix + "proj_bias"));
                for (int i = 0; i < n; i++) {
                    rolledOut[rows[i] * map + cols[i]] = projected[i];
                }
            }
        }
        double[][] result = new double[map * map][];
        for (int r = 0; r < map; r++) {
            for (int c = 0; c < map; c++) {
                result[((r + shift) % map) * map + (c + shift) % map] = rolledOut[r * map + c];
            }
        }
        return result;
    }

    /**
     * The region of a coordinate of the rolled map: [0, map - window), [map - window, map - shift),
     * the rest.
     */
    private static int region(int coordinate, int map, int window, int shift) {
        if (shift == 0 || coordinate < map - window) {
            return 0;
        }
        return coordinate < map - shift ? 1 : 2;
    }

    /**
     * The bias MLP 2 -> 512 -> heads on the log-spaced relative coordinates (dr, dc), before the
     * sigmoid.
     */
    private static double[] positionBias(HandForward w, String prefix, int dr, int dc, int window) {
        double[] coords = new double[2];
        int[] offsets = {dr, dc};
        for (int a = 0; a < 2; a++) {
            double v = offsets[a] * 8.0 / (window - 1);
            coords[a] =
                    Math.signum(v)
                            * (Math.log(Math.abs(v) + 1) / Math.log(2))
                            / (Math.log(8) / Math.log(2));
        }
        double[][] hidden =
                HandForward.linear(
                        new double[][] {coords},
                        w.matrix(prefix + "cpb_fc1_weight"),
                        w.vector(prefix + "cpb_fc1_bias"));
        for (int i = 0; i < hidden[0].length; i++) {
            hidden[0][i] = Math.max(0, hidden[0][i]);
        }
        return HandForward.linear(hidden, w.matrix(prefix + "cpb_fc2_weight"), null)[0];
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    @Test
    void swinV2MogeTrainingContractAndGradients() {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin = tiny(SwinVersion.V2).optMoe(ModelChecks.moge()).build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            assertEquals(List.of(1, 3), swin.getPlacement().getIndices());
            assertEquals(2, SigmaScheduleListener.findMoeBlocks(swin).size());
            ModelChecks.checkTrainingContractAndGradients(
                    swin, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 6, 2, true);
        }
    }

    @Test
    void swinV1MoeTrainingContractAndGradients() {
        Engine.getInstance().setRandomSeed(12);
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin =
                    tiny(SwinVersion.V1)
                            .optMoe(ModelChecks.moe())
                            .optMoeLayers(List.of(1, 2, 3))
                            .build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            assertEquals(3, SigmaScheduleListener.findMoeBlocks(swin).size());
            ModelChecks.checkTrainingContractAndGradients(
                    swin, manager, manager.randomNormal(new Shape(2, 3, 16, 16)), 6, 3, false);
        }
    }

    @Test
    void paddingLetsAWindowThatDoesNotTileTheMapRun() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> tiny(SwinVersion.V2).setWindowSize(3).build());
        assertEquals(
                "window size 3 does not divide the 8x8 feature map (pad it with padToWindow, or"
                        + " choose another window)",
                e.getMessage());
        try (NDManager manager = NDManager.newBaseManager()) {
            SwinTransformer swin =
                    tiny(SwinVersion.V2).setWindowSize(3).optPadToWindow(true).build();
            swin.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 16, 16));
            NDArray out =
                    swin.forward(
                                    new ParameterStore(manager, false),
                                    new NDList(manager.randomNormal(new Shape(2, 3, 16, 16))),
                                    false)
                            .head();
            assertEquals(new Shape(2, 6), out.getShape());
            assertEquals(0, out.isNaN().sum().getLong());
        }
    }

    @Test
    void placementsOfThePaper() {
        int[] depths = {2, 2, 6, 2};
        assertEquals(
                List.of(5, 7, 9, 11), MoePlacement.alternateInLastStages(depths, 2).getIndices());
        assertEquals(List.of(9, 11), MoePlacement.lastBlockOfLastStages(depths, 2).getIndices());
        assertEquals(List.of(5, 7), MoePlacement.lastEven(8, 2).getIndices());
        IllegalArgumentException heads =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> tiny(SwinVersion.V2).setHeads(3, 2).build());
        assertEquals("the number of heads (3) must divide the width (8)", heads.getMessage());
        IllegalArgumentException index =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                tiny(SwinVersion.V2)
                                        .optMoe(ModelChecks.moe())
                                        .optMoeLayers(List.of(0, 4))
                                        .build());
        assertEquals(
                "MoE placement index 4 is out of range: the model has 4 blocks (0..3)",
                index.getMessage());
    }
}
