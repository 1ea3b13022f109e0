package io.github.moge.lm.model;

import static io.github.moge.core.testing.GcHostileGradients.assertGcIndependent;
import static io.github.moge.core.testing.GcHostileGradients.meanOfHead;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.moge.core.SigmaSchedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The language model's gradients (relative-position memory attention, the momentum rules, SMoGE
 * layers with the Switch balance loss) do not depend on garbage collection between forward and
 * backward (see {@code GcHostileGradients}). This was the cause of SMoE/SMoGE runs stopping with a
 * NaN loss at random steps.
 */
class GcIndependentGradientsTest {

    @ParameterizedTest
    @EnumSource(MomentumRule.Kind.class)
    void smogeLanguageModel(MomentumRule.Kind kind) {
        MoeTransformerLm lm =
                MoeTransformerLm.builder()
                        .setVocabularySize(50)
                        .optWidth(8)
                        .optHeads(2)
                        .optLayers(2)
                        .optSpan(6)
                        .optHiddenSize(6)
                        .optExperts(16)
                        .optTopK(2)
                        .optSwitchBalance(true)
                        .optGroupSparse(
                                SigmaSchedule.builder()
                                        .setMax(10f)
                                        .setMin(1.5f)
                                        .setPower(0.3f)
                                        .setTotalSteps(100)
                                        .build())
                        .optMomentumRule(MomentumRule.builder().setKind(kind).build())
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(4);
            lm.initialize(manager, DataType.FLOAT32, lm.inputShapes(3, 5));
            NDArray tokens =
                    manager.randomInteger(
                            0, 50, new ai.djl.ndarray.types.Shape(3, 5), DataType.INT64);
            NDList memory = lm.initialMemory(manager, 3);
            assertGcIndependent(
                    lm,
                    manager,
                    meanOfHead(
                            lm,
                            m -> {
                                NDList in = new NDList(tokens.duplicate());
                                memory.forEach(
                                        a -> in.add(a.add(manager.randomNormal(a.getShape()))));
                                return in;
                            }));
        }
    }
}
