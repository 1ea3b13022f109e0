package io.github.moge.core.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

/**
 * The in-place Adam/AdamW update against the out-of-place formula it replaced (every intermediate a
 * new array), over several steps with rescaling, clipping and weight decay, and without per-step
 * arrays left on the parameter's manager.
 */
class AdamInPlaceTest {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;

    /** The previous implementation: every intermediate a fresh array. */
    private static void outOfPlace(
            NDArray w,
            NDArray rawGrad,
            NDArray m,
            NDArray v,
            int t,
            float lr,
            float wd,
            boolean decoupled,
            float rescale,
            float clip) {
        NDArray g = rawGrad.mul(rescale);
        if (clip > 0) {
            g = g.clip(-clip, clip);
        }
        if (wd != 0f) {
            if (decoupled) {
                w.muli((float) (1.0 - (double) lr * wd));
            } else {
                g = g.add(w.mul(wd));
            }
        }
        m.muli(BETA1).addi(g.mul(1f - BETA1));
        v.muli(BETA2).addi(g.mul(g).mul(1f - BETA2));
        float stepSize = (float) (lr / (1.0 - Math.pow(BETA1, t)));
        NDArray denominator = v.sqrt();
        denominator.divi((float) Math.sqrt(1.0 - Math.pow(BETA2, t))).addi(EPS);
        NDArray step = m.div(denominator);
        step.muli(stepSize);
        w.subi(step);
    }

    private static StatefulOptimizer optimizer(
            boolean decoupled, float wd, float rescale, float clip, long chunkElements) {
        Tracker lr = t -> 0.003f * t;
        AbstractStatefulAdam.Builder<?> builder =
                decoupled ? StatefulAdamW.builder() : StatefulAdam.builder();
        builder.optLearningRateTracker(lr).optWeightDecays(wd).setRescaleGrad(rescale);
        builder.chunkElements(chunkElements);
        if (clip > 0) {
            builder.optClipGrad(clip);
        }
        return decoupled
                ? ((StatefulAdamW.Builder) builder).build()
                : ((StatefulAdam.Builder) builder).build();
    }

    private static void check(
            boolean decoupled, float wd, float rescale, float clip, Shape shape, long chunk) {
        String label =
                (decoupled ? "AdamW" : "Adam")
                        + " "
                        + shape
                        + " chunk="
                        + chunk
                        + " wd="
                        + wd
                        + " rescale="
                        + rescale
                        + " clip="
                        + clip;
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(7);
            NDArray weight = manager.randomNormal(shape);
            if (shape.dimension() > 0 && shape.get(0) > 2) {
                // Weights of 0 in the row of tiny gradients, so its tiny updates show in them.
                weight.set(new NDIndex("1"), 0f);
            }
            weight.setRequiresGradient(true);
            NDArray reference = weight.duplicate();
            NDArray m = manager.zeros(shape);
            NDArray v = manager.zeros(shape);
            StatefulOptimizer optimizer = optimizer(decoupled, wd, rescale, clip, chunk);
            int arraysAfterFirst = -1;
            for (int t = 1; t <= 6; t++) {
                try (NDManager scope = manager.newSubManager()) {
                    // Gradients spanning many magnitudes, one row zero, so every rounding path is
                    // hit.
                    NDArray grad =
                            scope.randomNormal(shape)
                                    .mul(scope.randomUniform(-6f, 2f, shape).exp());
                    if (shape.dimension() > 0) {
                        grad.set(new NDIndex("0"), 0f);
                    }
                    if (shape.dimension() > 0 && shape.get(0) > 2) {
                        // A row whose variance is subnormal (g^2 (1 - b2) below 1.2e-38), another
                        // at the smallest normal float and just around it: the update raises the
                        // variance to that floor before the square root, which must change no bit.
                        grad.set(
                                new NDIndex("1"),
                                scope.randomUniform(-3e-20f, 3e-20f, grad.get(1).getShape()));
                        grad.set(new NDIndex("2"), (float) Math.sqrt(Float.MIN_NORMAL / 1e-3));
                    }
                    // Each step starts the reference from the optimizer's own state, so the
                    // comparison
                    // is per step and an ulp of the square root cannot feed into later gradients.
                    reference.set(new NDIndex("..."), weight);
                    NDList state = optimizer.getState("w");
                    if (state != null) {
                        m.set(new NDIndex("..."), state.get(0));
                        v.set(new NDIndex("..."), state.get(1));
                    }
                    scope.tempAttachAll(new NDList(reference, m, v));
                    outOfPlace(reference, grad, m, v, t, 0.003f * t, wd, decoupled, rescale, clip);
                    try (NDArray g = weight.getGradient()) {
                        g.set(new NDIndex("..."), grad);
                        optimizer.update("w", weight, g);
                    }
                }
                // Every element goes through the same operations as in the formula: bit for bit.
                assertArrayEquals(
                        reference.toFloatArray(), weight.toFloatArray(), 0f, label + " step " + t);
                assertArrayEquals(
                        m.toFloatArray(), optimizer.getState("w").get(0).toFloatArray(), 0f);
                assertArrayEquals(
                        v.toFloatArray(), optimizer.getState("w").get(1).toFloatArray(), 0f);
                int arrays = manager.getManagedArrays().size();
                if (t == 1) {
                    arraysAfterFirst = arrays;
                } else {
                    assertEquals(arraysAfterFirst, arrays, label + ": arrays left per step");
                }
            }
            assertTrue(arraysAfterFirst > 0);
        }
    }

    @Test
    void matchesOutOfPlaceFormula() {
        for (boolean decoupled : new boolean[] {false, true}) {
            check(decoupled, 0f, 1f, 0f, new Shape(37, 53), AdamRule.CHUNK_ELEMENTS);
            check(decoupled, 0.05f, 1f, 0f, new Shape(37, 53), AdamRule.CHUNK_ELEMENTS);
            check(decoupled, 0.05f, 0.5f, 0.8f, new Shape(37, 53), AdamRule.CHUNK_ELEMENTS);
        }
    }

    /**
     * The CPU update walks large arrays in slices of rows: slices that do not divide the rows, a
     * row longer than a slice, a vector and a scalar give the formula's result bit for bit.
     */
    @Test
    void slicedUpdateMatchesOutOfPlaceFormula() {
        for (boolean decoupled : new boolean[] {false, true}) {
            // 37 rows of 53 in slices of 5 rows: 7 full slices and one of 2.
            check(decoupled, 0.05f, 0.5f, 0.8f, new Shape(37, 53), 5 * 53 + 10);
            // rows of 6 x 7 = 42 elements, longer than a slice: one row per slice
            check(decoupled, 0.05f, 1f, 0f, new Shape(9, 6, 7), 20);
            check(decoupled, 0.05f, 1f, 0f, new Shape(101), 16);
            check(decoupled, 0.05f, 1f, 0f, new Shape(), 1);
        }
    }
}
