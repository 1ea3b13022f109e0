package io.github.moge.vision.preset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.vision.model.ResidualBranch;
import io.github.moge.vision.model.TruncatedNormalInitializer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link VisionPreset#newModel(int, VisionPreset.Overrides)} against {@link
 * VisionPreset#newModel(int)}.
 */
class VisionPresetOverridesTest {

    private static final int STEPS = 1000;

    @Test
    void noOverrideBuildsTheStructureOfNewModelForEveryPreset() {
        for (VisionPreset p : VisionPreset.all()) {
            String expected = describe(p.newModel(STEPS));
            assertEquals(
                    expected,
                    describe(p.newModel(STEPS, VisionPreset.Overrides.NONE)),
                    p.getName());
            // An override equal to the preset's value changes nothing either.
            VisionPreset.Overrides same =
                    p.getKind() == VisionPreset.Kind.DENSE
                            ? VisionPreset.Overrides.of(null, null, null)
                            : VisionPreset.Overrides.of(p.getExperts(), p.getTopK(), null);
            assertEquals(expected, describe(p.newModel(STEPS, same)), p.getName());
        }
    }

    @Test
    void noOverrideGivesTheSameInitialValuesAsNewModelWithTheSameSeed() {
        for (String name :
                List.of("vit-moge-xs-fmnist", "swinv2-moge-xs-fmnist", "vit-xs-fmnist")) {
            VisionPreset p = VisionPreset.get(name);
            try (NDManager manager = NDManager.newBaseManager()) {
                List<float[]> expected = initialValues(p.newModel(STEPS), p, manager);
                List<float[]> none =
                        initialValues(p.newModel(STEPS, VisionPreset.Overrides.NONE), p, manager);
                assertEquals(expected.size(), none.size(), name);
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), none.get(i), name + " parameter " + i);
                }
            }
        }
    }

    @Test
    void eachOverrideIsVisibleInTheBuiltLayersAndNothingElseChanges() {
        VisionPreset p = VisionPreset.get("vit-moge-xs-fmnist");
        assertEquals(16, p.getExperts());

        Block experts = p.newModel(STEPS, VisionPreset.Overrides.NONE.withExperts(9));
        List<MoeBlock> layers = SigmaScheduleListener.findMoeBlocks(experts);
        assertEquals(p.getMoeLayers().size(), layers.size());
        for (MoeBlock layer : layers) {
            assertEquals(9, layer.getNumExperts());
            assertEquals(9, layer.getRegularizer().getMap().size(), "the map follows E");
            assertEquals(p.getTopK(), layer.getRouter().getTopK());
            assertEquals(p.getCapacityFactor(), layer.getDispatcher().getCapacityFactor());
            assertEquals(p.getSigmaMax(), layer.getSigma());
        }
        assertEquals(
                withoutMoe(describe(p.newModel(STEPS))),
                withoutMoe(describe(experts)),
                "everything outside the MoE layers is the preset's");

        Block topK = p.newModel(STEPS, VisionPreset.Overrides.NONE.withTopK(2));
        for (MoeBlock layer : SigmaScheduleListener.findMoeBlocks(topK)) {
            assertEquals(2, layer.getRouter().getTopK());
            assertEquals(p.getExperts(), layer.getNumExperts());
        }

        VisionPreset.Overrides lambda = VisionPreset.Overrides.NONE.withLambda(0.5f);
        MoeLoss loss = p.newLoss(Loss.softmaxCrossEntropyLoss(), lambda);
        assertEquals(VisionPreset.AUX_WEIGHT * 0.5f, loss.getGroupSparseWeight(), 1e-12f);
        assertEquals(VisionPreset.AUX_WEIGHT, loss.getBalanceWeight());
        assertEquals(
                p.effectiveLambda(),
                p.newLoss(Loss.softmaxCrossEntropyLoss(), VisionPreset.Overrides.NONE)
                        .getGroupSparseWeight());
        assertEquals(
                describe(p.newModel(STEPS)),
                describe(p.newModel(STEPS, lambda)),
                "lambda is a loss weight, not part of the model");

        // The load form: V-MoE's by default, the authors' Tutel form on request, nothing else.
        for (MoeBlock layer : layers) {
            assertEquals(
                    ImportanceLoadLoss.LoadForm.V_MOE,
                    ((ImportanceLoadLoss) layer.getBalanceLoss()).getLoadForm());
        }
        Block tutel =
                p.newModel(
                        STEPS,
                        VisionPreset.Overrides.NONE.withLoadForm(
                                ImportanceLoadLoss.LoadForm.TUTEL));
        List<MoeBlock> tutelLayers = SigmaScheduleListener.findMoeBlocks(tutel);
        assertEquals(p.getMoeLayers().size(), tutelLayers.size());
        for (MoeBlock layer : tutelLayers) {
            assertEquals(
                    ImportanceLoadLoss.LoadForm.TUTEL,
                    ((ImportanceLoadLoss) layer.getBalanceLoss()).getLoadForm());
            assertEquals(p.getExperts(), layer.getNumExperts());
            assertEquals(p.getSigmaMax(), layer.getSigma());
        }

        // Several at once, on a Swin preset with the reference initialisation.
        VisionPreset swin = VisionPreset.get("swinv2-moe-t-cifar100");
        Block both = swin.newModel(STEPS, VisionPreset.Overrides.of(8, 2, null));
        for (MoeBlock layer : SigmaScheduleListener.findMoeBlocks(both)) {
            assertEquals(8, layer.getNumExperts());
            assertEquals(2, layer.getRouter().getTopK());
            assertEquals(null, layer.getRegularizer());
        }
        String expected = describe(swin.newModel(STEPS));
        assertEquals(withoutMoe(expected), withoutMoe(describe(both)));
        assertTrue(
                expected.contains("TruncatedNormalInitializer(0.02)"),
                "reference initialisation kept");
    }

    @Test
    void overridesADensePresetCannotTakeAreRefused() {
        VisionPreset dense = VisionPreset.get("vit-xs-fmnist");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> dense.newModel(STEPS, VisionPreset.Overrides.NONE.withExperts(4)));
        assertTrue(e.getMessage().contains("vit-xs-fmnist is dense"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        VisionPreset.get("vit-moe-xs-fmnist")
                                .newLoss(
                                        Loss.softmaxCrossEntropyLoss(),
                                        VisionPreset.Overrides.NONE.withLambda(1f)));
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        dense.newModel(
                                STEPS,
                                VisionPreset.Overrides.NONE.withLoadForm(
                                        ImportanceLoadLoss.LoadForm.TUTEL)));
        assertThrows(
                IllegalArgumentException.class, () -> VisionPreset.Overrides.NONE.withExperts(0));
        assertThrows(
                IllegalArgumentException.class, () -> VisionPreset.Overrides.NONE.withLambda(-1f));
        assertNotEquals(
                VisionPreset.Overrides.NONE.toString(),
                VisionPreset.Overrides.NONE.withTopK(2).toString());
    }

    private static List<float[]> initialValues(Block model, VisionPreset p, NDManager manager) {
        Engine.getInstance().setRandomSeed(11);
        model.initialize(manager, DataType.FLOAT32, p.inputShape(2));
        List<float[]> values = new ArrayList<>();
        for (Pair<String, Parameter> parameter : model.getParameters()) {
            values.add(parameter.getValue().getArray().toFloatArray());
        }
        assertFalse(values.isEmpty());
        return values;
    }

    /**
     * One line per block: path, class, the drop path and norm placement of residual branches, the
     * settings of MoE layers, and every direct parameter with its initialiser.
     */
    static String describe(Block model) {
        StringBuilder sb = new StringBuilder();
        describe("model", model, sb);
        return sb.toString();
    }

    private static void describe(String path, Block block, StringBuilder sb) {
        sb.append(path).append(' ').append(block.getClass().getSimpleName());
        if (block instanceof ResidualBranch branch) {
            sb.append(" dropPath=")
                    .append(branch.getDropPath())
                    .append(' ')
                    .append(branch.getPlacement());
        }
        if (block instanceof MoeBlock moe) {
            sb.append(" MoE E=")
                    .append(moe.getNumExperts())
                    .append(" k=")
                    .append(moe.getRouter().getTopK())
                    .append(" C=")
                    .append(moe.getDispatcher().getCapacityFactor())
                    .append(" balance=")
                    .append(moe.getBalanceLoss() != null)
                    .append(" gs=")
                    .append(moe.getRegularizer() != null)
                    .append(" sigma=")
                    .append(moe.getSigma());
        }
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Initializer init = p.getValue().getInitializer();
            sb.append(" [")
                    .append(p.getKey())
                    .append(' ')
                    .append(p.getValue().getType())
                    .append(' ')
                    .append(init == null ? "default" : init.getClass().getSimpleName());
            if (init instanceof TruncatedNormalInitializer normal) {
                sb.append('(').append(normal.getStd()).append(')');
            }
            sb.append(']');
        }
        sb.append('\n');
        for (Pair<String, Block> child : block.getChildren()) {
            describe(path + "/" + child.getKey(), child.getValue(), sb);
        }
    }

    /** The description without the lines inside or of MoE layers. */
    private static String withoutMoe(String description) {
        StringBuilder sb = new StringBuilder();
        List<String> moePaths = new ArrayList<>();
        for (String line : description.split("\n")) {
            String path = line.substring(0, line.indexOf(' '));
            if (line.contains(" MoE ")) {
                moePaths.add(path);
            }
            boolean inside =
                    moePaths.stream().anyMatch(m -> path.equals(m) || path.startsWith(m + "/"));
            if (!inside) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }
}
