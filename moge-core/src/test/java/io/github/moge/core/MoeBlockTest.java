package io.github.moge.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.balance.SwitchLoss;
import io.github.moge.core.dispatch.TokenDispatcher;
import io.github.moge.core.routing.RoutingOrder;
import io.github.moge.core.routing.RoutingResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MoeBlockTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(11);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private MoeBlock.Builder moge(int experts, SigmaSchedule schedule) {
        return MoeBlock.builder()
                .setExperts(experts)
                .setHiddenSize(12)
                .optRegularizer(
                        GroupSparseRegularizer.builder().setExperts(experts).build(), schedule);
    }

    private static SigmaSchedule schedule() {
        return SigmaSchedule.VISION.over(100);
    }

    @Test
    void keepsShapeAndEmitsNamedTermsOnlyInTraining() {
        MoeBlock block = moge(9, schedule()).optBalanceLoss(new SwitchLoss()).build();
        Shape shape = new Shape(2, 5, 6);
        block.initialize(manager, DataType.FLOAT32, shape);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = manager.randomNormal(shape);

        NDList train = block.forward(ps, new NDList(x), true);
        assertEquals(shape, train.head().getShape());
        assertEquals(3, train.size());
        assertEquals(AuxiliaryTerms.BALANCE, train.get(1).getName());
        assertEquals(AuxiliaryTerms.GROUP_SPARSE, train.get(2).getName());
        assertEquals(new Shape(), train.get(2).getShape());

        NDList eval = block.forward(ps, new NDList(x), false);
        assertEquals(1, eval.size());
        assertEquals(shape, eval.head().getShape());
    }

    @Test
    void outputEqualsEveryExpertOnEveryTokenThenSelected() {
        for (TokenDispatcher.ExpertPath path : TokenDispatcher.ExpertPath.values()) {
            checkAgainstEveryExpert(path);
        }
    }

    private void checkAgainstEveryExpert(TokenDispatcher.ExpertPath path) {
        // Dropless top-2, language-model order: y_t = sum_j w_tj * E_{e_tj}(x_t).
        int experts = 4;
        MoeBlock block =
                MoeBlock.builder()
                        .setExperts(experts)
                        .setHiddenSize(7)
                        .optTopK(2)
                        .optRoutingOrder(RoutingOrder.TOPK_THEN_SOFTMAX)
                        .optExpertPath(path)
                        .build();
        int tokens = 10;
        int width = 5;
        block.initialize(manager, DataType.FLOAT32, new Shape(tokens, width));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = manager.randomNormal(new Shape(tokens, width));

        float[] actual = block.forward(ps, new NDList(x), false).head().toFloatArray();

        RoutingResult routing = block.route(ps, x, false);
        NDArray everyExpert =
                block.getExperts()
                        .apply(ps, x.expandDims(0).repeat(0, experts), false); // [E, N, d]
        float[] all = everyExpert.toFloatArray();
        float[] weights = routing.getWeights().toFloatArray();
        long[] chosen = routing.getExperts().toLongArray();
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < width; c++) {
                double expected = 0;
                for (int j = 0; j < 2; j++) {
                    int e = (int) chosen[t * 2 + j];
                    expected += weights[t * 2 + j] * all[(e * tokens + t) * width + c];
                }
                assertEquals(
                        expected, actual[t * width + c], 1e-5, path + " token " + t + " dim " + c);
            }
        }
    }

    @Test
    void groupSparseTermUsesTheScheduledSigma() {
        SigmaSchedule schedule = schedule();
        MoeBlock block = moge(16, schedule).build();
        block.initialize(manager, DataType.FLOAT32, new Shape(8, 6));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = manager.randomNormal(new Shape(8, 6));
        block.setScheduleStep(37);
        assertEquals(schedule.getNewValue(37), block.getSigma(), 0f);

        NDArray term =
                AuxiliaryTerms.sum(
                        block.forward(ps, new NDList(x), true), AuxiliaryTerms.GROUP_SPARSE);
        NDArray z = block.route(ps, x, false).getRoutingInput();
        float expected = block.getRegularizer().compute(z, schedule.getNewValue(37)).getFloat();
        assertEquals(expected, term.getFloat(), 1e-6);
    }

    @Test
    void gradientsReachRouterAndExperts() {
        MoeBlock block = moge(9, schedule()).optTrainingNoise(true).optCapacityFactor(2f).build();
        block.initialize(manager, DataType.FLOAT32, new Shape(32, 6));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = manager.randomNormal(new Shape(32, 6));
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDList out = block.forward(ps, new NDList(x), true);
            NDArray loss =
                    out.head()
                            .square()
                            .sum()
                            .add(AuxiliaryTerms.sum(out, AuxiliaryTerms.GROUP_SPARSE));
            collector.backward(loss);
        }
        int checked = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray grad = p.getValue().getArray().getGradient();
            assertNotNull(grad, p.getKey());
            assertTrue(grad.abs().sum().getFloat() > 0, "no gradient reached " + p.getKey());
            checked++;
        }
        assertEquals(5, checked, "gate + four expert parameters");
    }

    @Test
    void builderRejectsInvalidValues() {
        assertMessage(() -> MoeBlock.builder().setExperts(0), "experts");
        assertMessage(() -> MoeBlock.builder().setHiddenSize(0), "hiddenSize");
        assertMessage(() -> MoeBlock.builder().optTopK(0), "topK");
        assertMessage(() -> MoeBlock.builder().optDropout(1f), "dropout");
        assertMessage(() -> MoeBlock.builder().optCapacityFactor(Float.NaN), "capacityFactor");
        assertMessage(() -> MoeBlock.builder().build(), "experts and hiddenSize must be set");
        assertMessage(
                () -> MoeBlock.builder().setExperts(4).setHiddenSize(3).optTopK(5).build(),
                "topK must be in 1..4");
        assertMessage(
                () -> moge(16, schedule()).setExperts(32).build(),
                "holds 16 cells but the layer has 32");
        assertMessage(() -> MoeBlock.builder().optRegularizer(null, schedule()), "regularizer");
    }

    @Test
    void sequentialContainerThreadsTermsOfEveryLayer() {
        MoeSequentialBlock net =
                new MoeSequentialBlock()
                        .add(moge(9, schedule()).build())
                        .add(ai.djl.nn.core.Linear.builder().setUnits(6).build())
                        .add(moge(9, schedule()).optBalanceLoss(new SwitchLoss()).build());
        net.initialize(manager, DataType.FLOAT32, new Shape(4, 6));
        ParameterStore ps = new ParameterStore(manager, false);
        NDList out = net.forward(ps, new NDList(manager.randomNormal(new Shape(4, 6))), true);
        assertArrayEquals(new long[] {4, 6}, out.head().getShape().getShape());
        assertEquals(4, out.size(), "head + 2 group-sparse + 1 balance");
        assertEquals(2, SigmaScheduleListener.findMoeBlocks(net).size());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks " + part);
    }
}
