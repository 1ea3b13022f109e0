package io.github.moge.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.AbstractCompositeLoss;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.github.moge.core.ops.ScalarOps;
import io.github.moge.core.training.SummedTerms;
import java.util.List;

/**
 * The training loss of a model with MoE/MoGE layers: a base loss on the head of the model output
 * plus the weighted {@link AuxiliaryTerms} of all its MoE layers,
 *
 * <pre>
 *   loss = base(labels, head) + balanceWeight * sum_layers balance
 *          + groupSparseWeight * sum_layers L_gs
 * </pre>
 *
 * <p>In the vision reference every layer contributes (L_imp + L_load)/2 + lambda * L_gs and the sum
 * over layers is multiplied by 0.01, which is {@code balanceWeight = 0.01, groupSparseWeight = 0.01
 * * lambda} here. It is a DJL {@link AbstractCompositeLoss}: {@link #getComponents()} (also {@link
 * #getTerms()}) returns one {@link Loss} per term (named after the base loss, {@link
 * AuxiliaryTerms#BALANCE_LOSS} and {@link AuxiliaryTerms#GROUP_SPARSE_LOSS}, each already
 * weighted), which a loop that knows composite losses reports by name; with DJL's own loop, add
 * them to the training configuration as evaluators so logs show every component:
 *
 * <pre>{@code
 * MoeLoss loss = MoeLoss.builder().setBaseLoss(Loss.softmaxCrossEntropyLoss())
 *         .optBalanceWeight(0.01f).optGroupSparseWeight(0.01f * 4e-3f).build();
 * DefaultTrainingConfig config = new DefaultTrainingConfig(loss);
 * loss.getTerms().forEach(config::addEvaluator);
 * }</pre>
 *
 * <p>MoE layers emit their terms only in training, so validation reports the base loss alone.
 */
public final class MoeLoss extends AbstractCompositeLoss implements SummedTerms {

    private final Loss baseLoss;
    private final float balanceWeight;
    private final float groupSparseWeight;

    private MoeLoss(Builder builder) {
        super(builder.name);
        this.baseLoss = builder.baseLoss;
        this.balanceWeight = builder.balanceWeight;
        this.groupSparseWeight = builder.groupSparseWeight;
        this.components =
                List.of(
                        new HeadLoss(baseLoss),
                        new TermLoss(
                                AuxiliaryTerms.BALANCE_LOSS, AuxiliaryTerms.BALANCE, balanceWeight),
                        new TermLoss(
                                AuxiliaryTerms.GROUP_SPARSE_LOSS,
                                AuxiliaryTerms.GROUP_SPARSE,
                                groupSparseWeight));
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@inheritDoc}
     *
     * <p>L_gs is a sum over the tokens of a batch ({@link GroupSparseRegularizer}), so the
     * replicas' terms add up to the whole batch's; a balance term is a coefficient of variation
     * within its slice and is averaged, as GShard and V-MoE do per device.
     */
    @Override
    public boolean isSummedOverSamples(String entryName) {
        return AuxiliaryTerms.GROUP_SPARSE.equals(entryName);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The sum skips terms with weight 0 and terms no layer emitted (rather than adding zeros as
     * the composite default would), so such a term adds nothing to the graph.
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray total = components.get(0).evaluate(labels, predictions);
        for (int i = 1; i < components.size(); i++) {
            NDArray term = ((TermLoss) components.get(i)).weightedSum(predictions);
            if (term != null) {
                total = total.add(term);
            }
        }
        return total;
    }

    /**
     * Every component reads what it needs from the full predictions (the head, or named entries).
     */
    @Override
    protected Pair<NDList, NDList> inputForComponent(
            int componentIndex, NDList labels, NDList predictions) {
        return new Pair<>(labels, predictions);
    }

    /**
     * Returns the components as separate losses (base, balance, group-sparse), for use as
     * evaluators; the same list as {@link #getComponents()}.
     *
     * @return the three component losses, each weighted as in the total
     */
    public List<Loss> getTerms() {
        return components;
    }

    /** {@return the base loss applied to the head of the predictions} */
    public Loss getBaseLoss() {
        return baseLoss;
    }

    /** {@return the weight on the sum of the layers' balancing losses} */
    public float getBalanceWeight() {
        return balanceWeight;
    }

    /** {@return the weight on the sum of the layers' group-sparse terms L_gs} */
    public float getGroupSparseWeight() {
        return groupSparseWeight;
    }

    /** The base loss evaluated on the head of the predictions only. */
    private static final class HeadLoss extends Loss {

        private final Loss base;

        HeadLoss(Loss base) {
            super(base.getName());
            this.base = base;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            return base.evaluate(labels, new NDList(predictions.head()));
        }
    }

    /** One weighted auxiliary term, summed over the layers that emitted it (zero when none did). */
    private static final class TermLoss extends Loss {

        private final String entryName;
        private final float weight;

        TermLoss(String name, String entryName, float weight) {
            super(name);
            this.entryName = entryName;
            this.weight = weight;
        }

        NDArray weightedSum(NDList predictions) {
            if (weight == 0f) {
                return null;
            }
            NDArray sum = AuxiliaryTerms.sum(predictions, entryName);
            return sum == null ? null : ScalarOps.mul(sum, weight);
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray term = weightedSum(predictions);
            if (term != null) {
                return term;
            }
            // On the head's device: an array moved between devices keeps its old manager.
            NDArray head = predictions.head();
            return head.getManager().zeros(new Shape(), DataType.FLOAT32, head.getDevice());
        }
    }

    /** Builds a {@link MoeLoss}. */
    public static final class Builder {

        private String name = "MoeLoss";
        private Loss baseLoss;
        private float balanceWeight;
        private float groupSparseWeight;

        Builder() {}

        /**
         * Sets the loss applied to the head of the model output (e.g. softmax cross-entropy).
         *
         * @param baseLoss the base loss
         * @return this builder
         */
        public Builder setBaseLoss(Loss baseLoss) {
            if (baseLoss == null) {
                throw new IllegalArgumentException("baseLoss must not be null");
            }
            this.baseLoss = baseLoss;
            return this;
        }

        /**
         * Sets the weight on the sum over layers of the balancing losses (default 0; V-MoE uses
         * 0.01).
         *
         * @param weight finite and &gt;= 0
         * @return this builder
         */
        public Builder optBalanceWeight(float weight) {
            this.balanceWeight = requireWeight("balanceWeight", weight);
            return this;
        }

        /**
         * Sets the weight on the sum over layers of L_gs (default 0). In the vision reference this
         * is 0.01 times the regularizer's lambda.
         *
         * @param weight finite and &gt;= 0
         * @return this builder
         */
        public Builder optGroupSparseWeight(float weight) {
            this.groupSparseWeight = requireWeight("groupSparseWeight", weight);
            return this;
        }

        /**
         * Sets the name under which the total loss is reported (default "MoeLoss").
         *
         * @param name the name
         * @return this builder
         */
        public Builder optName(String name) {
            this.name = name;
            return this;
        }

        /**
         * Builds the loss.
         *
         * @return the loss
         */
        public MoeLoss build() {
            if (baseLoss == null) {
                throw new IllegalArgumentException("baseLoss must be set before build()");
            }
            return new MoeLoss(this);
        }

        private static float requireWeight(String field, float weight) {
            if (!(weight >= 0) || Float.isInfinite(weight)) {
                throw new IllegalArgumentException(
                        field + " must be finite and >= 0, got " + weight);
            }
            return weight;
        }
    }
}
