package io.github.moge.core.experts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StackedExpertsTest {

    private static final int E = 3;
    private static final int C = 6;
    private static final int D = 4;
    private static final int H = 5;

    private static StackedExperts block(NDManager m, float dropout) {
        StackedExperts experts =
                StackedExperts.builder().setExperts(E).setHiddenSize(H).optDropout(dropout).build();
        experts.initialize(m, DataType.FLOAT32, new Shape(E, C, D));
        // Non-zero biases so that the test sees them.
        for (String name : new String[] {"b1", "b2"}) {
            NDArray b = experts.getParameters().get(name).getArray();
            b.set(m.randomNormal(b.getShape()).toFloatArray());
        }
        return experts;
    }

    @Test
    void parameterShapesAndInitialisation() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            StackedExperts experts =
                    StackedExperts.builder().setExperts(8).setHiddenSize(64).build();
            experts.initialize(m, DataType.FLOAT32, new Shape(8, 3, 32));
            assertEquals(
                    new Shape(8, 32, 64), experts.getParameters().get("w1").getArray().getShape());
            assertEquals(
                    new Shape(8, 1, 64), experts.getParameters().get("b1").getArray().getShape());
            assertEquals(
                    new Shape(8, 64, 32), experts.getParameters().get("w2").getArray().getShape());
            assertEquals(
                    new Shape(8, 1, 32), experts.getParameters().get("b2").getArray().getShape());
            // Linear-style: N(0, 2 / fan_in) per expert; biases zero.
            assertEquals(
                    Math.sqrt(2.0 / 32), std(experts.getParameters().get("w1").getArray()), 0.02);
            assertEquals(
                    Math.sqrt(2.0 / 64), std(experts.getParameters().get("w2").getArray()), 0.02);
            assertEquals(
                    0f, experts.getParameters().get("b1").getArray().abs().sum().getFloat(), 0f);
            assertEquals(
                    0f, experts.getParameters().get("b2").getArray().abs().sum().getFloat(), 0f);
            assertEquals(
                    new Shape(8, 3, 32),
                    experts.getOutputShapes(new Shape[] {new Shape(8, 3, 32)})[0]);
        }
    }

    private static double std(NDArray a) {
        float[] v = a.toFloatArray();
        double sq = 0;
        for (float f : v) {
            sq += (double) f * f;
        }
        return Math.sqrt(sq / v.length);
    }

    @Test
    void builderValidation() {
        IllegalArgumentException ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> StackedExperts.builder().setExperts(0).setHiddenSize(4).build());
        assertTrue(ex.getMessage().contains("experts"), ex.getMessage());
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> StackedExperts.builder().setExperts(2).setHiddenSize(0).build());
        assertTrue(ex.getMessage().contains("hiddenSize"), ex.getMessage());
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                StackedExperts.builder()
                                        .setExperts(2)
                                        .setHiddenSize(4)
                                        .optDropout(1f)
                                        .build());
        assertTrue(
                ex.getMessage().contains("dropout") && ex.getMessage().contains("[0, 1)"),
                ex.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        StackedExperts.builder()
                                .setExperts(2)
                                .setHiddenSize(4)
                                .optDropout(-0.1f)
                                .build());
    }

    @Test
    void matchesPerExpertReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            StackedExperts experts = block(m, 0f);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray slots = m.randomNormal(new Shape(E, C, D));
            NDArray out = experts.apply(ps, slots, false);
            assertEquals(new Shape(E, C, D), out.getShape());
            NDArray forwarded = experts.forward(ps, new NDList(slots), false).singletonOrThrow();
            assertArrayEquals(out.toFloatArray(), forwarded.toFloatArray(), 0f);

            NDArray w1 = experts.getParameters().get("w1").getArray();
            NDArray b1 = experts.getParameters().get("b1").getArray();
            NDArray w2 = experts.getParameters().get("w2").getArray();
            NDArray b2 = experts.getParameters().get("b2").getArray();
            for (int e = 0; e < E; e++) {
                NDArray x = slots.get(e); // [C, D]
                NDArray hidden = Activation.gelu(x.matMul(w1.get(e)).add(b1.get(e)));
                NDArray expected = hidden.matMul(w2.get(e)).add(b2.get(e));
                assertArrayEquals(
                        expected.toFloatArray(), out.get(e).toFloatArray(), 1e-5f, "expert " + e);
            }
            // One entry of the first layer checked with Java doubles (Java has no erf for the exact
            // GELU).
            float[] xs = slots.toFloatArray();
            float[] w1s = w1.toFloatArray();
            float[] b1s = b1.toFloatArray();
            double pre = b1s[1 * H + 2];
            for (int i = 0; i < D; i++) {
                pre += xs[(1 * C + 3) * D + i] * w1s[(1 * D + i) * H + 2];
            }
            NDArray preArray = slots.batchMatMul(w1).add(b1);
            assertEquals(pre, preArray.getFloat(1, 3, 2), 1e-5);
        }
    }

    @Test
    void dropoutOnlyInTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(9);
            StackedExperts experts = block(m, 0.5f);
            StackedExperts noDropout =
                    StackedExperts.builder().setExperts(E).setHiddenSize(H).build();
            noDropout.initialize(m, DataType.FLOAT32, new Shape(E, C, D));
            for (String name : new String[] {"w1", "b1", "w2", "b2"}) {
                noDropout
                        .getParameters()
                        .get(name)
                        .getArray()
                        .set(experts.getParameters().get(name).getArray().toFloatArray());
            }
            ParameterStore ps = new ParameterStore(m, false);
            NDArray slots = m.randomNormal(new Shape(E, C, D));
            float[] eval = experts.apply(ps, slots, false).toFloatArray();
            assertArrayEquals(noDropout.apply(ps, slots, false).toFloatArray(), eval, 0f);
            assertArrayEquals(eval, experts.apply(ps, slots, false).toFloatArray(), 0f);
            float[] train = experts.apply(ps, slots, true).toFloatArray();
            assertFalse(Arrays.equals(eval, train), "dropout must change training outputs");
        }
    }

    @Test
    void gradientsReachAllParameters() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(13);
            StackedExperts experts = block(m, 0f);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray slots = m.randomNormal(new Shape(E, C, D));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(experts.apply(ps, slots, true).sum());
            }
            for (String name : new String[] {"w1", "b1", "w2", "b2"}) {
                Parameter p = experts.getParameters().get(name);
                NDArray grad = p.getArray().getGradient();
                assertEquals(p.getArray().getShape(), grad.getShape(), name);
                assertTrue(grad.abs().sum().getFloat() > 0f, name + " gradient must be non-zero");
            }
            // d(sum out)/d b2 = C for every entry of every expert.
            float[] gb2 = experts.getParameters().get("b2").getArray().getGradient().toFloatArray();
            for (float g : gb2) {
                assertEquals(C, g, 1e-5f);
            }
        }
    }

    /**
     * Grouped rows give, row for row, what each expert computes on the padded grid; an empty
     * segment's expert gets zero gradients and d(sum out)/d b2 counts each expert's rows.
     */
    @Test
    void groupedSegmentsMatchTheGrid() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(17);
            StackedExperts experts = block(m, 0f);
            ParameterStore ps = new ParameterStore(m, false);
            long[] segments = {2, 0, 4};
            NDArray rows = m.randomNormal(new Shape(6, D));
            NDArray grid = m.zeros(new Shape(E, C, D));
            grid.set(new NDIndex("0, 0:2"), rows.get("0:2"));
            grid.set(new NDIndex("2, 0:4"), rows.get("2:6"));
            NDArray padded = experts.apply(ps, grid, false);
            NDArray grouped;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                grouped = experts.applyGrouped(ps, rows, segments, true);
                gc.backward(grouped.sum());
            }
            assertEquals(new Shape(6, D), grouped.getShape());
            assertArrayEquals(
                    padded.get("0, 0:2").toFloatArray(), grouped.get("0:2").toFloatArray(), 1e-5f);
            assertArrayEquals(
                    padded.get("2, 0:4").toFloatArray(), grouped.get("2:6").toFloatArray(), 1e-5f);
            float[] gb2 = experts.getParameters().get("b2").getArray().getGradient().toFloatArray();
            for (int e = 0; e < E; e++) {
                for (int i = 0; i < D; i++) {
                    assertEquals(segments[e], gb2[e * D + i], 1e-5f, "expert " + e);
                }
            }
            NDArray gw1 = experts.getParameters().get("w1").getArray().getGradient();
            assertEquals(0f, gw1.get(1).abs().sum().getFloat(), 0f, "empty segment");
            assertTrue(gw1.get(2).abs().sum().getFloat() > 0f);
            // Every segment empty: zero rows in, zero rows out.
            NDArray none = experts.applyGrouped(ps, m.zeros(new Shape(0, D)), new long[E], false);
            assertEquals(new Shape(0, D), none.getShape());
        }
    }

    @Test
    void groupedSegmentsMustFitTheRows() {
        try (NDManager m = NDManager.newBaseManager()) {
            StackedExperts experts = block(m, 0f);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray rows = m.zeros(new Shape(5, D));
            IllegalArgumentException perExpert =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> experts.applyGrouped(ps, rows, new long[] {2, 3}, false));
            assertTrue(perExpert.getMessage().contains("one length per expert (3)"));
            IllegalArgumentException total =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> experts.applyGrouped(ps, rows, new long[] {2, 3, 1}, false));
            assertTrue(total.getMessage().contains("[M=6, d], got (5, 4)"), total.getMessage());
            IllegalArgumentException negative =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> experts.applyGrouped(ps, rows, new long[] {6, -1, 0}, false));
            assertTrue(negative.getMessage().contains(">= 0"), negative.getMessage());
        }
    }

    /**
     * The per-expert views live with the rows: a step leaves no array on the parameters' manager.
     */
    @Test
    void groupedStepsLeaveNothingOnTheParametersManager() {
        try (NDManager m = NDManager.newBaseManager()) {
            StackedExperts experts = block(m, 0.2f);
            ParameterStore ps = new ParameterStore(m, false);
            int before = m.getManagedArrays().size();
            for (int step = 0; step < 3; step++) {
                try (NDManager scope = m.newSubManager()) {
                    NDArray rows = scope.randomNormal(new Shape(7, D));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(
                                experts.applyGrouped(ps, rows, new long[] {3, 0, 4}, true).sum());
                    }
                }
                assertEquals(before, m.getManagedArrays().size(), "after step " + step);
            }
        }
    }
}
