package io.github.moge.vision.model;

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
import ai.djl.training.ParameterStore;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.routing.RoutingResult;
import org.junit.jupiter.api.Test;

class InvarianceModelTest {

    private static SigmaSchedule schedule() {
        return SigmaSchedule.VISION.over(100);
    }

    @Test
    void paperSettingIsA20By20MapOfTop1DroplessExperts() {
        InvarianceModel moe = InvarianceModel.builder().build();
        assertEquals(20, moe.getMap().rows());
        assertEquals(20, moe.getMap().cols());
        assertEquals(400, moe.getMoeBlock().getNumExperts());
        assertEquals(64, moe.getMoeBlock().getExperts().getHiddenSize());
        assertEquals(1, moe.getMoeBlock().getRouter().getTopK());
        assertTrue(moe.getMoeBlock().getDispatcher().isDropless());
        assertFalse(moe.isMoge());
        assertEquals(null, moe.getMoeBlock().getBalanceLoss());

        InvarianceModel moge = InvarianceModel.builder().optGroupSparse(schedule()).build();
        assertTrue(moge.isMoge());
        assertEquals(3, moge.getMoeBlock().getRegularizer().getFilterSize());
        assertEquals(10f, moge.getMoeBlock().getSigma());
    }

    @Test
    void forwardGivesLogitsAndInTrainingTheGroupSparseTerm() {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            InvarianceModel moge =
                    InvarianceModel.builder()
                            .optExperts(16)
                            .optHiddenSize(8)
                            .optGroupSparse(schedule())
                            .build();
            moge.getBlock().initialize(manager, DataType.FLOAT32, new Shape(5, 784));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(5, 784));

            NDList train = moge.getBlock().forward(ps, new NDList(x), true);
            assertEquals(new Shape(5, 10), train.head().getShape());
            assertEquals(1, AuxiliaryTerms.of(train).size());
            assertTrue(AuxiliaryTerms.sum(train, AuxiliaryTerms.GROUP_SPARSE).getFloat() > 0f);

            NDList eval = moge.getBlock().forward(ps, new NDList(x), false);
            assertEquals(1, eval.size());

            RoutingResult routing = moge.route(ps, x);
            assertEquals(new Shape(5, 16), routing.getRoutingInput().getShape());
            float[] rowSums = routing.getRoutingInput().sum(new int[] {1}).toFloatArray();
            for (float s : rowSums) {
                assertEquals(1f, s, 1e-5f);
            }
        }
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> InvarianceModel.builder().optExperts(0));
        assertThrows(
                IllegalArgumentException.class, () -> InvarianceModel.builder().optHiddenSize(0));
        assertThrows(IllegalArgumentException.class, () -> InvarianceModel.builder().optClasses(0));
        // a 2 x 4 map is smaller than the 3 x 3 filter in one direction only: 1 x 2 valid
        // positions;
        // a prime E gives a 1 x E map, which the filter cannot cover
        assertThrows(
                IllegalArgumentException.class,
                () -> InvarianceModel.builder().optExperts(7).optGroupSparse(schedule()).build());
    }
}
