package io.github.moge.vision.train;

/**
 * The optimisation settings of a vision run: epochs, batch size, AdamW with linear warm-up then
 * cosine decay, gradient clipping by global norm, label smoothing, training and test subsets, seed
 * and whether progress is printed.
 */
public final class TrainingSettings {

    private final int epochs;
    private final int batchSize;
    private final int evalBatchSize;
    private final float learningRate;
    private final float minLearningRate;
    private final float weightDecay;
    private final float warmupEpochs;
    private final float clipGradNorm;
    private final float labelSmoothing;
    private final long trainLimit;
    private final long testLimit;
    private final long seed;
    private final boolean progress;

    private TrainingSettings(Builder b) {
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.evalBatchSize = b.evalBatchSize > 0 ? b.evalBatchSize : b.batchSize;
        this.learningRate = b.learningRate;
        this.minLearningRate = b.minLearningRate;
        this.weightDecay = b.weightDecay;
        this.warmupEpochs = b.warmupEpochs;
        this.clipGradNorm = b.clipGradNorm;
        this.labelSmoothing = b.labelSmoothing;
        this.trainLimit = b.trainLimit;
        this.testLimit = b.testLimit;
        this.seed = b.seed;
        this.progress = b.progress;
    }

    /**
     * Creates a builder with the defaults of the paper's CIFAR recipe scaled to one device (AdamW
     * 1e-3, weight decay 0.05, 5 warm-up epochs, batch 128).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return the number of epochs
     */
    public int getEpochs() {
        return epochs;
    }

    /**
     * @return the training batch size
     */
    public int getBatchSize() {
        return batchSize;
    }

    /**
     * @return the evaluation batch size
     */
    public int getEvalBatchSize() {
        return evalBatchSize;
    }

    /**
     * @return the peak learning rate (after warm-up)
     */
    public float getLearningRate() {
        return learningRate;
    }

    /**
     * @return the learning rate at the end of the cosine decay
     */
    public float getMinLearningRate() {
        return minLearningRate;
    }

    /**
     * @return AdamW's decoupled weight decay
     */
    public float getWeightDecay() {
        return weightDecay;
    }

    /**
     * @return warm-up length in epochs (may be fractional)
     */
    public float getWarmupEpochs() {
        return warmupEpochs;
    }

    /**
     * @return the global gradient norm limit, 0 for none
     */
    public float getClipGradNorm() {
        return clipGradNorm;
    }

    /**
     * @return label smoothing epsilon
     */
    public float getLabelSmoothing() {
        return labelSmoothing;
    }

    /**
     * @return the number of training examples used per epoch, 0 for all
     */
    public long getTrainLimit() {
        return trainLimit;
    }

    /**
     * @return the number of test examples evaluated, 0 for all
     */
    public long getTestLimit() {
        return testLimit;
    }

    /**
     * @return the seed of shuffling, augmentation and initialisation
     */
    public long getSeed() {
        return seed;
    }

    /**
     * @return whether progress lines are printed
     */
    public boolean isProgress() {
        return progress;
    }

    /** Builds {@link TrainingSettings}. */
    public static final class Builder {

        int epochs = 100;
        int batchSize = 128;
        int evalBatchSize;
        float learningRate = 1e-3f;
        float minLearningRate = 1e-5f;
        float weightDecay = 0.05f;
        float warmupEpochs = 5;
        float clipGradNorm;
        float labelSmoothing;
        long trainLimit;
        long testLimit;
        long seed = 42;
        boolean progress = true;

        Builder() {}

        /**
         * @param epochs epochs, &gt;= 1
         * @return this builder
         */
        public Builder setEpochs(int epochs) {
            this.epochs = positive("epochs", epochs);
            return this;
        }

        /**
         * @param batchSize training batch size, &gt;= 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = positive("batch size", batchSize);
            return this;
        }

        /**
         * @param evalBatchSize evaluation batch size (default: the training batch size)
         * @return this builder
         */
        public Builder optEvalBatchSize(int evalBatchSize) {
            this.evalBatchSize = positive("eval batch size", evalBatchSize);
            return this;
        }

        /**
         * @param lr peak learning rate, &gt; 0
         * @return this builder
         */
        public Builder optLearningRate(float lr) {
            if (!(lr > 0)) {
                throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
            }
            this.learningRate = lr;
            return this;
        }

        /**
         * @param lr final learning rate of the cosine decay, &gt;= 0
         * @return this builder
         */
        public Builder optMinLearningRate(float lr) {
            this.minLearningRate = nonNegative("min learning rate", lr);
            return this;
        }

        /**
         * @param wd AdamW weight decay, &gt;= 0
         * @return this builder
         */
        public Builder optWeightDecay(float wd) {
            this.weightDecay = nonNegative("weight decay", wd);
            return this;
        }

        /**
         * @param epochs warm-up epochs, &gt;= 0
         * @return this builder
         */
        public Builder optWarmupEpochs(float epochs) {
            this.warmupEpochs = nonNegative("warm-up epochs", epochs);
            return this;
        }

        /**
         * @param norm global gradient norm limit, 0 disables
         * @return this builder
         */
        public Builder optClipGradNorm(float norm) {
            this.clipGradNorm = nonNegative("clip-grad norm", norm);
            return this;
        }

        /**
         * @param epsilon label smoothing in [0, 1)
         * @return this builder
         */
        public Builder optLabelSmoothing(float epsilon) {
            if (!(epsilon >= 0 && epsilon < 1)) {
                throw new IllegalArgumentException(
                        "label smoothing must be in [0, 1), got " + epsilon);
            }
            this.labelSmoothing = epsilon;
            return this;
        }

        /**
         * @param limit training examples per epoch (a fixed seeded subset), 0 for all
         * @return this builder
         */
        public Builder optTrainLimit(long limit) {
            this.trainLimit = (long) nonNegative("train limit", limit);
            return this;
        }

        /**
         * @param limit test examples evaluated (the first ones), 0 for all
         * @return this builder
         */
        public Builder optTestLimit(long limit) {
            this.testLimit = (long) nonNegative("test limit", limit);
            return this;
        }

        /**
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param show print progress lines, ten per epoch (default true)
         * @return this builder
         */
        public Builder optProgress(boolean show) {
            this.progress = show;
            return this;
        }

        /**
         * @return the settings
         */
        public TrainingSettings build() {
            return new TrainingSettings(this);
        }

        private static int positive(String what, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(what + " must be >= 1, got " + v);
            }
            return v;
        }

        private static float nonNegative(String what, float v) {
            if (!(v >= 0) || Float.isInfinite(v)) {
                throw new IllegalArgumentException(what + " must be finite and >= 0, got " + v);
            }
            return v;
        }
    }
}
