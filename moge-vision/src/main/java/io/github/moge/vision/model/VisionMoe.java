package io.github.moge.vision.model;

import ai.djl.training.tracker.Tracker;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.balance.ImportanceLoadLoss;

/**
 * The MoE feed-forward layer of the vision models as a {@link MoeBlock.Builder} template: V-MoE
 * routing (softmax then top-k, training noise N(0, (1/E)^2), capacity factor {@link
 * #CAPACITY_FACTOR} with batch prioritized routing), the V-MoE balancing loss (L_imp + L_load) / 2
 * and, for MoGE, the group-sparse regularizer on the map chosen from E with its sigma schedule.
 *
 * <p>Pass the template to {@code VisionTransformer.Builder.optMoe} or {@code
 * SwinTransformer.Builder.optMoe} (adjust it first, e.g. {@code optTopK(2)}); the model builds each
 * placed layer from a copy with the block's hidden width. All MoGE layers of a model share the
 * sigma schedule, a function of the optimizer step only.
 */
public final class VisionMoe {

    /** k of the vision presets. */
    public static final int TOP_K = 1;

    /** The capacity factor C of the vision presets. */
    public static final float CAPACITY_FACTOR = 4f;

    private VisionMoe() {}

    /**
     * Returns the template of a MoE layer: k = {@link #TOP_K}, C = {@link #CAPACITY_FACTOR},
     * training noise, batch prioritized routing, importance + load balancing loss.
     *
     * @param experts E
     * @return a new builder; set no hidden size, the model sets it per block
     */
    public static MoeBlock.Builder moe(int experts) {
        return MoeBlock.builder()
                .setExperts(experts)
                .optTopK(TOP_K)
                .optTrainingNoise(true)
                .optCapacityFactor(CAPACITY_FACTOR)
                .optBatchPrioritized(true)
                .optBalanceLoss(ImportanceLoadLoss.builder().build());
    }

    /**
     * Returns the template of a MoGE layer: {@link #moe(int)} with the group-sparse regularizer on
     * the map chosen from E (3 x 3 filter).
     *
     * @param experts E; the map must fit the filter (at least 3 x 3)
     * @param sigmaSchedule sigma as a function of the optimizer step, e.g. a {@link
     *     io.github.moge.core.SigmaSchedule}
     * @return a new builder
     */
    public static MoeBlock.Builder moge(int experts, Tracker sigmaSchedule) {
        return moe(experts)
                .optRegularizer(
                        GroupSparseRegularizer.builder().setExperts(experts).build(),
                        sigmaSchedule);
    }
}
