package io.github.moge.vision.model;

import ai.djl.training.tracker.Tracker;
import io.github.moge.core.GroupSparseRegularizer;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.TopographicMap;
import io.github.moge.core.balance.ImportanceLoadLoss;

/**
 * How a vision model builds each of its MoE feed-forward layers: V-MoE routing (softmax then top-k with
 * training noise N(0, (1/E)^2), capacity factor C with batch prioritized routing) and the V-MoE balancing
 * loss (L_imp + L_load) / 2, plus, for MoGE, the group-sparse regularizer with its sigma schedule.
 *
 * <p>Every layer gets its own {@link MoeBlock}; all MoGE layers share the sigma schedule (it is a function
 * of the optimizer step only).
 */
public final class MoeSettings {

    private final int experts;
    private final int topK;
    private final float capacityFactor;
    private final boolean trainingNoise;
    private final boolean batchPrioritized;
    private final boolean balanceLoss;
    private final float expertDropout;
    private final TopographicMap map;
    private final Tracker sigmaSchedule;

    private MoeSettings(Builder builder) {
        this.experts = builder.experts;
        this.topK = builder.topK;
        this.capacityFactor = builder.capacityFactor;
        this.trainingNoise = builder.trainingNoise;
        this.batchPrioritized = builder.batchPrioritized;
        this.balanceLoss = builder.balanceLoss;
        this.expertDropout = builder.expertDropout;
        this.map = builder.map;
        this.sigmaSchedule = builder.sigmaSchedule;
    }

    /**
     * Creates a builder with the V-MoE defaults (k = 1, C = 4, noise, BPR, importance + load loss).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds one MoE feed-forward layer of these settings.
     *
     * @param hiddenSize the hidden width of each expert
     * @return a new layer
     */
    public MoeBlock newLayer(int hiddenSize) {
        MoeBlock.Builder builder =
                MoeBlock.builder()
                        .setExperts(experts)
                        .setHiddenSize(hiddenSize)
                        .optTopK(topK)
                        .optTrainingNoise(trainingNoise)
                        .optCapacityFactor(capacityFactor)
                        .optBatchPrioritized(batchPrioritized)
                        .optDropout(expertDropout);
        if (balanceLoss) {
            builder.optBalanceLoss(ImportanceLoadLoss.builder().build());
        }
        if (sigmaSchedule != null) {
            GroupSparseRegularizer.Builder regularizer = GroupSparseRegularizer.builder();
            if (map != null) {
                regularizer.setExperts(experts).optMapShape(map.rows(), map.cols());
            } else {
                regularizer.setExperts(experts);
            }
            builder.optRegularizer(regularizer.build(), sigmaSchedule);
        }
        return builder.build();
    }

    /** Returns E. */
    public int getExperts() {
        return experts;
    }

    /** Returns k. */
    public int getTopK() {
        return topK;
    }

    /** Returns the capacity factor C (&lt;= 0 is dropless). */
    public float getCapacityFactor() {
        return capacityFactor;
    }

    /** Returns whether the layers are MoGE layers (a regularizer is configured). */
    public boolean isMoge() {
        return sigmaSchedule != null;
    }

    /** Returns whether each layer emits the V-MoE balancing loss. */
    public boolean hasBalanceLoss() {
        return balanceLoss;
    }

    /** Builds {@link MoeSettings}. */
    public static final class Builder {

        private int experts;
        private int topK = 1;
        private float capacityFactor = 4f;
        private boolean trainingNoise = true;
        private boolean batchPrioritized = true;
        private boolean balanceLoss = true;
        private float expertDropout;
        private TopographicMap map;
        private Tracker sigmaSchedule;

        Builder() {}

        /**
         * Sets the number of experts E.
         *
         * @param experts E, at least 1
         * @return this builder
         */
        public Builder setExperts(int experts) {
            if (experts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + experts);
            }
            this.experts = experts;
            return this;
        }

        /**
         * Sets k (default 1).
         *
         * @param topK experts per token
         * @return this builder
         */
        public Builder optTopK(int topK) {
            if (topK < 1) {
                throw new IllegalArgumentException("topK must be >= 1, got " + topK);
            }
            this.topK = topK;
            return this;
        }

        /**
         * Sets the capacity factor (default 4; &lt;= 0 is dropless).
         *
         * @param capacityFactor C
         * @return this builder
         */
        public Builder optCapacityFactor(float capacityFactor) {
            this.capacityFactor = capacityFactor;
            return this;
        }

        /**
         * Sets whether training adds noise N(0, (1/E)^2) to the router logits (default on).
         *
         * @param trainingNoise whether to add noise
         * @return this builder
         */
        public Builder optTrainingNoise(boolean trainingNoise) {
            this.trainingNoise = trainingNoise;
            return this;
        }

        /**
         * Sets whether capacity is filled by batch prioritized routing (default on).
         *
         * @param batchPrioritized whether to use BPR
         * @return this builder
         */
        public Builder optBatchPrioritized(boolean batchPrioritized) {
            this.batchPrioritized = batchPrioritized;
            return this;
        }

        /**
         * Sets whether each layer emits the V-MoE balancing loss (L_imp + L_load) / 2 (default on).
         *
         * @param balanceLoss whether to emit it
         * @return this builder
         */
        public Builder optBalanceLoss(boolean balanceLoss) {
            this.balanceLoss = balanceLoss;
            return this;
        }

        /**
         * Sets the dropout inside each expert (default 0).
         *
         * @param expertDropout the rate
         * @return this builder
         */
        public Builder optExpertDropout(float expertDropout) {
            this.expertDropout = expertDropout;
            return this;
        }

        /**
         * Makes the layers MoGE layers: the group-sparse regularizer on the map chosen from E, with sigma
         * following the schedule.
         *
         * @param sigmaSchedule sigma as a function of the optimizer step, e.g. a {@link
         *     io.github.moge.core.SigmaSchedule}
         * @return this builder
         */
        public Builder optRegularizer(Tracker sigmaSchedule) {
            return optRegularizer(null, sigmaSchedule);
        }

        /**
         * Makes the layers MoGE layers with an explicit topographic map.
         *
         * @param map the map (m x n = E), or null to choose it from E
         * @param sigmaSchedule sigma as a function of the optimizer step
         * @return this builder
         */
        public Builder optRegularizer(TopographicMap map, Tracker sigmaSchedule) {
            if (sigmaSchedule == null) {
                throw new IllegalArgumentException("sigmaSchedule must not be null");
            }
            this.map = map;
            this.sigmaSchedule = sigmaSchedule;
            return this;
        }

        /**
         * Builds the settings.
         *
         * @return the settings
         */
        public MoeSettings build() {
            if (experts < 1) {
                throw new IllegalArgumentException("experts must be set before build()");
            }
            if (topK > experts) {
                throw new IllegalArgumentException(
                        "topK (" + topK + ") must not exceed the number of experts (" + experts + ")");
            }
            MoeSettings settings = new MoeSettings(this);
            settings.newLayer(1); // fail at configuration time, not at the first forward pass
            return settings;
        }
    }
}
