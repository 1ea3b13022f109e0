package io.github.moge.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Checks that a block's gradients do not depend on when the JVM collects garbage.
 *
 * <p>On CPU, DJL 0.25 creates the scalar of {@code x.mul(2f)} (and of div, pow, maximum, minimum
 * with a Number) with {@code torch::from_blob} over a direct ByteBuffer and closes it right after
 * the operation. Autograd keeps that tensor for the backward pass, but the ByteBuffer is then
 * unreachable: if the garbage collector frees it before backward, the gradient is computed from
 * freed memory. That made training diverge at random steps. This check runs forward and backward
 * twice with the same seed, the second time collecting garbage and overwriting freshly freed direct
 * memory between forward and backward, and requires bit-identical gradients.
 */
public final class GcHostileGradients {

    private GcHostileGradients() {}

    /**
     * Asserts that every gradient of the block is the same with and without a garbage collection
     * between forward and backward.
     *
     * @param block an initialized block
     * @param manager the manager for the inputs and the step's arrays
     * @param lossOf the forward pass in training mode and the scalar loss: (parameter store,
     *     manager) to loss; it must be deterministic given the engine seed
     */
    public static void assertGcIndependent(
            Block block, NDManager manager, BiFunction<ParameterStore, NDManager, NDArray> lossOf) {
        Map<String, float[]> quiet = gradients(block, manager, lossOf, false);
        Map<String, float[]> hostile = gradients(block, manager, lossOf, true);
        assertFalse(quiet.isEmpty(), "the block has no gradients to compare");
        for (Map.Entry<String, float[]> e : quiet.entrySet()) {
            float[] expected = e.getValue();
            float[] actual = hostile.get(e.getKey());
            for (int i = 0; i < expected.length; i++) {
                if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                    assertEquals(
                            expected[i],
                            actual[i],
                            "gradient of "
                                    + e.getKey()
                                    + "["
                                    + i
                                    + "] changed when garbage was collected between forward and"
                                    + " backward: an operand saved for backward lived in freed"
                                    + " memory (a DJL scalar operation such as mul(Number) on"
                                    + " CPU)");
                }
            }
        }
    }

    private static Map<String, float[]> gradients(
            Block block,
            NDManager manager,
            BiFunction<ParameterStore, NDManager, NDArray> lossOf,
            boolean hostile) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager scope = manager.newSubManager()) {
            Engine.getInstance().setRandomSeed(1234);
            ParameterStore store = new ParameterStore(scope, false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = lossOf.apply(store, scope);
                List<ByteBuffer> scribble = hostile ? collectAndScribble() : List.of();
                collector.backward(loss);
                scribble.forEach(b -> b.put(0, (byte) 0)); // keep them alive until backward is done
            }
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray array = p.getValue().getArray();
                if (p.getValue().requiresGradient() && array.hasGradient()) {
                    NDArray gradient = array.getGradient();
                    gradient.attach(scope);
                    out.put(p.getKey(), gradient.toFloatArray());
                    gradient.subi(
                            gradient); // zero it for the next pass (the values are finite here)
                }
            }
        }
        return out;
    }

    /** Collects garbage, then fills newly allocated direct memory with huge values. */
    private static List<ByteBuffer> collectAndScribble() {
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int i = 0; i < 2000; i++) {
                ByteBuffer b =
                        ByteBuffer.allocateDirect(4 << (i % 5))
                                .order(java.nio.ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(1e30f);
                }
                buffers.add(b);
            }
        }
        return buffers;
    }

    /**
     * Forward in training mode through a block; the loss is the mean square of its first output
     * plus the mean of every other floating output (auxiliary losses).
     *
     * @param block the block
     * @param inputs creates the inputs on the step's manager
     * @return a loss function for {@link #assertGcIndependent}
     */
    public static BiFunction<ParameterStore, NDManager, NDArray> meanOfHead(
            Block block, java.util.function.Function<NDManager, NDList> inputs) {
        return (store, m) -> {
            NDList out = block.forward(store, inputs.apply(m), true);
            NDArray sum = out.head().square().mean();
            for (NDArray extra : out.subList(1, out.size())) {
                if (extra.getDataType().isFloating()) {
                    sum = sum.add(extra.mean()); // auxiliary losses, so their backward is
                    // checked too
                }
            }
            return sum;
        };
    }
}
