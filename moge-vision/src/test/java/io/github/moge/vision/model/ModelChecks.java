package io.github.moge.vision.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.SigmaSchedule;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared checks of the model output contract and of gradient flow, used by the model family tests.
 */
public final class ModelChecks {

    private ModelChecks() {}

    /** A short sigma schedule for tests. */
    public static SigmaSchedule schedule() {
        return SigmaSchedule.VISION.over(100);
    }

    /** The MoGE layer template with E = 9 (a 3 x 3 map, the smallest a 3 x 3 filter fits). */
    public static MoeBlock.Builder moge() {
        return VisionMoe.moge(9, schedule());
    }

    /** The MoE layer template with E = 9. */
    public static MoeBlock.Builder moe() {
        return VisionMoe.moe(9);
    }

    /**
     * Runs one training forward and backward and checks the output contract and that every
     * parameter received a non-zero gradient.
     *
     * @param model an initialised model
     * @param manager the manager of the input
     * @param input the images
     * @param classes the number of classes
     * @param moeLayers the expected number of MoE layers
     * @param moge whether the layers are MoGE layers
     */
    public static void checkTrainingContractAndGradients(
            Block model,
            NDManager manager,
            NDArray input,
            int classes,
            int moeLayers,
            boolean moge) {
        ParameterStore store = new ParameterStore(manager, false);
        long batch = input.getShape().get(0);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDList out = model.forward(store, new NDList(input), true);
            assertEquals(new Shape(batch, classes), out.head().getShape());
            int perLayer = moge ? 2 : 1;
            assertEquals(1 + perLayer * moeLayers, out.size(), "head + named terms");
            NDList terms = AuxiliaryTerms.of(out);
            assertEquals(perLayer * moeLayers, terms.size(), "every extra entry is a named term");
            int balance = 0;
            int groupSparse = 0;
            for (NDArray term : terms) {
                assertEquals(new Shape(), term.getShape());
                assertTrue(Float.isFinite(term.getFloat()));
                balance += AuxiliaryTerms.BALANCE.equals(term.getName()) ? 1 : 0;
                groupSparse += AuxiliaryTerms.GROUP_SPARSE.equals(term.getName()) ? 1 : 0;
            }
            assertEquals(moeLayers, balance);
            assertEquals(moge ? moeLayers : 0, groupSparse);
            NDArray target = manager.randomNormal(out.head().getShape());
            NDArray loss = out.head().mul(target).sum();
            for (NDArray term : terms) {
                loss = loss.add(term);
            }
            collector.backward(loss);
        }
        List<String> noGradient = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            NDArray grad = p.getValue().getArray().getGradient();
            if (!(grad.abs().sum().getFloat() > 0f)) {
                noGradient.add(p.getKey());
            }
        }
        assertTrue(noGradient.isEmpty(), "parameters without gradient: " + noGradient);

        NDList eval = model.forward(store, new NDList(input), false);
        assertEquals(1, eval.size(), "evaluation output is the logits alone");
        assertEquals(new Shape(batch, classes), eval.head().getShape());
    }
}
