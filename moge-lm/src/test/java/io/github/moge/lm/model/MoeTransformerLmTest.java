package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.SigmaSchedule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Causality, memory and momentum invariants of the whole language model. */
class MoeTransformerLmTest {

    private static final int VOCAB = 23;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(5);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static MoeTransformerLm.Builder small(int span) {
        return MoeTransformerLm.builder()
                .setVocabularySize(VOCAB)
                .optWidth(8)
                .optHeads(2)
                .optLayers(2)
                .optSpan(span)
                .optHiddenSize(6)
                .optExperts(4)
                .optTopK(2);
    }

    private MoeTransformerLm init(MoeTransformerLm model, int batch, int block) {
        model.initialize(manager, DataType.FLOAT32, model.inputShapes(batch, block));
        return model;
    }

    private NDArray tokens(long seed, int batch, int block) {
        int[] ids = new int[batch * block];
        long state = seed;
        for (int i = 0; i < ids.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            ids[i] = (int) Math.floorMod(state >>> 33, VOCAB);
        }
        return manager.create(ids).reshape(batch, block);
    }

    private static NDList run(
            MoeTransformerLm model, ParameterStore ps, NDArray tokens, NDList memory) {
        return model.forward(ps, new NDList(tokens).addAll(memory), false);
    }

    @Test
    void aTokenNeverSeesTheFuture() {
        MoeTransformerLm model = init(small(4).build(), 2, 6);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = tokens(1, 2, 6);
        NDArray changed = x.duplicate();
        changed.set(new NDIndex("0, 3"), (x.getInt(0, 3) + 1) % VOCAB);
        NDArray a = run(model, ps, x, model.initialMemory(manager, 2)).head();
        NDArray b = run(model, ps, changed, model.initialMemory(manager, 2)).head();
        assertEquals(new ai.djl.ndarray.types.Shape(2, 6, VOCAB), a.getShape());
        NDArray diff = a.sub(b).abs().max(new int[] {2}); // [2, 6]
        float[] row0 = diff.get(0).toFloatArray();
        for (int t = 0; t < 3; t++) {
            assertEquals(
                    0f, row0[t], 1e-6f, "position " + t + " changed after a later token changed");
        }
        for (int t = 3; t < 6; t++) {
            assertTrue(row0[t] > 1e-4f, "position " + t + " should depend on token 3");
        }
        assertEquals(0f, diff.get(1).max().getFloat(), 1e-6f, "another stream must not change");
    }

    @Test
    void memoryGivesTheOutputsOfTheConcatenatedBlocks() {
        for (int span : new int[] {3, 5, 8}) {
            MoeTransformerLm model = init(small(span).build(), 2, 5);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray whole = tokens(7 + span, 2, 10);
            NDArray first = whole.get(":, :5");
            NDArray second = whole.get(":, 5:");
            NDList out1 = run(model, ps, first, model.initialMemory(manager, 2));
            NDList memory = new NDList(out1.get(1), out1.get(2));
            NDList out2 = run(model, ps, second, memory);
            NDArray joined = run(model, ps, whole, model.initialMemory(manager, 2)).head();
            assertArrayEquals(
                    joined.get(":, :5").toFloatArray(),
                    out1.head().toFloatArray(),
                    1e-4f,
                    "span " + span);
            assertArrayEquals(
                    joined.get(":, 5:").toFloatArray(),
                    out2.head().toFloatArray(),
                    1e-4f,
                    "span " + span);
            // the first block's logits depend on nothing later; the memory really is used by the
            // second
            NDArray fresh = run(model, ps, second, model.initialMemory(manager, 2)).head();
            assertTrue(fresh.sub(out2.head()).abs().max().getFloat() > 1e-4f);
        }
    }

    @Test
    void memoryCarriesNoGradientAndHasTheSpanShape() {
        MoeTransformerLm model = init(small(7).build(), 2, 5);
        ParameterStore ps = new ParameterStore(manager, false);
        NDList out =
                model.forward(
                        ps,
                        new NDList(tokens(3, 2, 5)).addAll(model.initialMemory(manager, 2)),
                        true);
        assertEquals(new ai.djl.ndarray.types.Shape(2, 7, 8), out.get(1).getShape());
        assertEquals(new ai.djl.ndarray.types.Shape(2, 7, 8), out.get(2).getShape());
        // first 2 rows of a span-7 memory after a 5-token block from zeros are still zeros
        assertEquals(0f, out.get(1).get(":, :2").abs().sum().getFloat(), 0f);
        assertEquals(0, AuxiliaryTerms.of(out).size(), "plain SMoE without balance emits no terms");
    }

    @Test
    void mogeEmitsOneGroupSparseTermPerLayerInTraining() {
        SigmaSchedule sigma = SigmaSchedule.LM_PAPER.over(10);
        MoeTransformerLm model =
                init(
                        small(4).optExperts(16)
                                .optGroupSparse(sigma)
                                .optSwitchBalance(true)
                                .build(),
                        2,
                        5);
        ParameterStore ps = new ParameterStore(manager, false);
        NDList out =
                model.forward(
                        ps,
                        new NDList(tokens(3, 2, 5)).addAll(model.initialMemory(manager, 2)),
                        true);
        NDList terms = AuxiliaryTerms.of(out);
        assertEquals(4, terms.size());
        assertTrue(AuxiliaryTerms.sum(out, AuxiliaryTerms.GROUP_SPARSE).getFloat() > 0f);
        NDList eval =
                model.forward(
                        ps,
                        new NDList(tokens(3, 2, 5)).addAll(model.initialMemory(manager, 2)),
                        false);
        assertEquals(3, eval.size(), "logits + 2 memories, no terms outside training");
    }

    @Test
    void momentumWithZeroMuAndUnitGammaIsPlainSmoe() throws Exception {
        MoeTransformerLm plain = init(small(4).build(), 2, 5);
        MoeTransformerLm momentum =
                init(
                        small(4).optMomentumRule(
                                        MomentumRule.builder()
                                                .setKind(MomentumRule.Kind.MOMENTUM)
                                                .optMu(0f)
                                                .build())
                                .build(),
                        2,
                        5);
        MoeTransformerLm heavy =
                init(
                        small(4).optMomentumRule(
                                        MomentumRule.builder()
                                                .setKind(MomentumRule.Kind.MOMENTUM)
                                                .build())
                                .build(),
                        2,
                        5);
        copy(plain, momentum);
        copy(plain, heavy);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = tokens(9, 2, 5);
        float[] a = run(plain, ps, x, plain.initialMemory(manager, 2)).head().toFloatArray();
        float[] b = run(momentum, ps, x, momentum.initialMemory(manager, 2)).head().toFloatArray();
        float[] c = run(heavy, ps, x, heavy.initialMemory(manager, 2)).head().toFloatArray();
        assertArrayEquals(a, b, 1e-5f);
        float maxDiff = 0f;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - c[i]));
        }
        assertTrue(maxDiff > 1e-3f, "mu = 0.7 must change the second layer");
    }

    @Test
    void denseModelHasNoRouterAndRejectsRegularizer() {
        MoeTransformerLm dense = init(small(4).optExperts(0).build(), 2, 5);
        assertTrue(dense.getLayers().get(0).getFeedForward() instanceof DenseFeedForward);
        SigmaSchedule sigma = SigmaSchedule.LM_PAPER.over(10);
        assertThrows(
                IllegalArgumentException.class,
                () -> small(4).optExperts(0).optGroupSparse(sigma).build());
        assertThrows(IllegalArgumentException.class, () -> small(4).optWidth(9).build());
    }

    private void copy(MoeTransformerLm from, MoeTransformerLm to) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        from.saveParameters(new DataOutputStream(bytes));
        to.loadParameters(
                manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }
}
