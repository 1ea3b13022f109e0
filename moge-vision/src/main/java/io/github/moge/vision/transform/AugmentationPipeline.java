package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The training and evaluation preprocessing of a vision run, applied to whole batches on their
 * device, in this order (each step optional):
 *
 * <pre>
 *   train: pad to size -> random crop with padding -> horizontal flip -> RandAugment
 *          -> colour jitter -> normalise -> random erasing -> mixup/CutMix (soft targets)
 *   eval:  pad to size -> normalise
 * </pre>
 *
 * <p>Every random step has its own generator seeded from one seed, so a run is repeatable; {@link
 * #train(NDArray, NDArray, long)} restarts them all from a per-batch seed, so that a batch's
 * augmentation does not depend on the batches before it (what an exactly resumable training loop
 * needs). Without mixup/CutMix the labels stay class indices {@code [B]} (label smoothing is then
 * the loss's job); with them they become soft targets {@code [B, K]}.
 *
 * <p>RandAugment ({@link RandAugment}) sits where timm's {@code transforms_imagenet_train} puts it:
 * after the crop and flip, before colour jitter, ToTensor, normalisation and random erasing. timm
 * itself drops colour jitter when RandAugment is on (unless forced); this pipeline applies whatever
 * its builder enables.
 */
public final class AugmentationPipeline {

    private final PadToSize pad;
    private final RandomCropWithPadding crop;
    private final RandomHorizontalFlip flip;
    private final RandAugment randAugment;
    private final ColorJitter jitter;
    private final Normalize normalize;
    private final RandomErasing erasing;
    private final MixupCutmix mix;

    private AugmentationPipeline(Builder b) {
        long seed = b.seed;
        this.pad = b.padTo > 0 ? new PadToSize(b.padTo) : null;
        this.crop = b.cropPadding > 0 ? new RandomCropWithPadding(b.cropPadding, seed + 1) : null;
        this.flip = b.flip > 0 ? new RandomHorizontalFlip(b.flip, seed + 2) : null;
        int[] fill =
                b.randAugmentFill != null ? b.randAugmentFill : RandAugment.fillFromMean(b.mean);
        this.randAugment =
                b.randAugment != null
                        ? new RandAugment(b.randAugment, b.randAugmentInterpolation, fill, seed + 6)
                        : null;
        this.jitter = b.jitter > 0 ? new ColorJitter(b.jitter, b.jitter, b.jitter, seed + 3) : null;
        this.normalize = b.mean != null ? new Normalize(b.mean, b.std) : null;
        this.erasing =
                b.erasing > 0
                        ? new RandomErasing(b.erasing, RandomErasing.Mode.PIXEL, seed + 4)
                        : null;
        this.mix =
                (b.mixupAlpha > 0 || b.cutmixAlpha > 0)
                        ? new MixupCutmix(
                                b.mixupAlpha,
                                b.cutmixAlpha,
                                0.5f,
                                1f,
                                b.smoothing,
                                b.numClasses,
                                seed + 5)
                        : null;
    }

    /**
     * Creates a builder (no step enabled).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Augments a training batch.
     *
     * @param images {@code [B, C, H, W]} in {@code [0, 1]}
     * @param labels {@code [B]} class indices
     * @return (images, labels): labels are {@code [B, K]} soft targets when mixup/CutMix is on
     */
    public NDList train(NDArray images, NDArray labels) {
        NDArray x = images;
        if (pad != null) {
            x = pad.transform(x);
        }
        if (crop != null) {
            x = crop.apply(x);
        }
        if (flip != null) {
            x = flip.apply(x);
        }
        if (randAugment != null) {
            x = randAugment.apply(x);
        }
        if (jitter != null) {
            x = jitter.apply(x);
        }
        if (normalize != null) {
            x = normalize.transform(x);
        }
        if (erasing != null) {
            x = erasing.apply(x);
        }
        if (mix != null) {
            return mix.apply(x, labels);
        }
        return new NDList(x, labels);
    }

    /**
     * Augments a training batch with every generator restarted from {@code seed} first: the result
     * depends only on the batch and the seed (engine-side draws, such as random erasing's noise,
     * also depend on the engine's seed).
     *
     * @param images {@code [B, C, H, W]} in {@code [0, 1]}
     * @param labels {@code [B]} class indices
     * @param seed the batch's seed, e.g. {@code StepContext.seedFor(stream)}
     * @return (images, labels) as {@link #train(NDArray, NDArray)}
     */
    public NDList train(NDArray images, NDArray labels, long seed) {
        reseed(crop, seed + 1);
        reseed(flip, seed + 2);
        reseed(jitter, seed + 3);
        reseed(erasing, seed + 4);
        reseed(mix, seed + 5);
        reseed(randAugment, seed + 6);
        return train(images, labels);
    }

    private static void reseed(Reseedable step, long seed) {
        if (step != null) {
            step.reseed(seed);
        }
    }

    /**
     * Prepares an evaluation batch (deterministic).
     *
     * @param images {@code [B, C, H, W]} in {@code [0, 1]}
     * @return the padded, normalised images
     */
    public NDArray eval(NDArray images) {
        NDArray x = images;
        if (pad != null) {
            x = pad.transform(x);
        }
        return normalize != null ? normalize.transform(x) : x;
    }

    /**
     * Returns whether training labels become soft targets.
     *
     * @return true when mixup or CutMix is enabled
     */
    public boolean producesSoftTargets() {
        return mix != null;
    }

    /** Builds an {@link AugmentationPipeline}. */
    public static final class Builder {

        int padTo;
        int cropPadding;
        float flip;
        float jitter;
        RandAugment.Policy randAugment;
        RandAugment.Interpolation randAugmentInterpolation = RandAugment.Interpolation.BICUBIC;
        int[] randAugmentFill;
        float[] mean;
        float[] std;
        float erasing;
        float mixupAlpha;
        float cutmixAlpha;
        float smoothing;
        int numClasses;
        long seed;

        Builder() {}

        /**
         * Zero-pads images to a square side first (e.g. 32 for Fashion-MNIST); 0 disables.
         *
         * @param size the side
         * @return this builder
         */
        public Builder optPadTo(int size) {
            this.padTo = size;
            return this;
        }

        /**
         * Random crop after padding by this many pixels (CIFAR: 4); 0 disables.
         *
         * @param padding the padding
         * @return this builder
         */
        public Builder optRandomCrop(int padding) {
            this.cropPadding = padding;
            return this;
        }

        /**
         * Horizontal flip probability (usually 0.5); 0 disables.
         *
         * @param probability the probability
         * @return this builder
         */
        public Builder optFlip(float probability) {
            this.flip = probability;
            return this;
        }

        /**
         * RandAugment with a policy, applied after the flip and before colour jitter (timm's
         * place); null disables.
         *
         * @param policy the policy, e.g. {@code RandAugment.Policy.parse("rand-m9-mstd0.5-inc1")}
         * @return this builder
         */
        public Builder optRandAugment(RandAugment.Policy policy) {
            this.randAugment = policy;
            return this;
        }

        /**
         * RandAugment from a timm spec string such as {@code rand-m9-mstd0.5-inc1} (the
         * reference's); null, empty or {@code none} disables.
         *
         * @param spec the spec
         * @return this builder
         * @throws IllegalArgumentException for a malformed spec
         */
        public Builder optRandAugment(String spec) {
            boolean off = spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("none");
            this.randAugment = off ? null : RandAugment.Policy.parse(spec);
            return this;
        }

        /**
         * The resampling filter of RandAugment's geometric ops (default bicubic, what configs
         * passing {@code interpolation='bicubic'} to timm get; timm's train.py default is {@code
         * RANDOM}).
         *
         * @param interpolation the filter
         * @return this builder
         */
        public Builder optRandAugmentInterpolation(RandAugment.Interpolation interpolation) {
            if (interpolation == null) {
                throw new IllegalArgumentException("interpolation must not be null");
            }
            this.randAugmentInterpolation = interpolation;
            return this;
        }

        /**
         * The fill levels 0..255 of RandAugment's geometric ops, one or one per channel (default
         * timm's: {@code round(255 mean)} of the {@link #optNormalize} means, else 128).
         *
         * @param fill the levels
         * @return this builder
         */
        public Builder optRandAugmentFill(int... fill) {
            this.randAugmentFill = fill == null ? null : fill.clone();
            return this;
        }

        /**
         * Colour jitter strength for brightness, contrast and saturation (timm: 0.4); 0 disables.
         *
         * @param strength the strength
         * @return this builder
         */
        public Builder optColorJitter(float strength) {
            this.jitter = strength;
            return this;
        }

        /**
         * Per-channel normalisation constants; null disables.
         *
         * @param mean channel means
         * @param std channel standard deviations
         * @return this builder
         */
        public Builder optNormalize(float[] mean, float[] std) {
            this.mean = mean;
            this.std = std;
            return this;
        }

        /**
         * Random erasing probability (timm/DeiT: 0.25), pixel mode; 0 disables.
         *
         * @param probability the probability
         * @return this builder
         */
        public Builder optRandomErasing(float probability) {
            this.erasing = probability;
            return this;
        }

        /**
         * Mixup and CutMix Beta parameters (DeiT: 0.8 and 1.0); both 0 disable. Needs {@link
         * #optNumClasses(int)}.
         *
         * @param mixupAlpha mixup alpha
         * @param cutmixAlpha CutMix alpha
         * @return this builder
         */
        public Builder optMixupCutmix(float mixupAlpha, float cutmixAlpha) {
            this.mixupAlpha = mixupAlpha;
            this.cutmixAlpha = cutmixAlpha;
            return this;
        }

        /**
         * Label smoothing folded into mixup/CutMix targets (when those are off, give it to the
         * loss).
         *
         * @param epsilon the smoothing
         * @return this builder
         */
        public Builder optLabelSmoothing(float epsilon) {
            this.smoothing = epsilon;
            return this;
        }

        /**
         * The number of classes, needed for soft targets.
         *
         * @param numClasses K
         * @return this builder
         */
        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /**
         * The seed from which every step's generator is derived.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the pipeline.
         *
         * @return the pipeline
         */
        public AugmentationPipeline build() {
            if ((mixupAlpha > 0 || cutmixAlpha > 0) && numClasses < 1) {
                throw new IllegalArgumentException("mixup/CutMix need optNumClasses");
            }
            return new AugmentationPipeline(this);
        }
    }
}
