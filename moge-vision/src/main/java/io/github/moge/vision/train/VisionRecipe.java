package io.github.moge.vision.train;

import io.github.moge.vision.transform.Normalize;
import java.util.Arrays;
import java.util.Locale;

/**
 * The training recipe of a dataset's runs (paper Table 8, built with timm in the reference):
 * optimisation length and warm-up, batch, augmentations, normalisation, label smoothing and
 * gradient clipping. Each dataset has its own, so one dataset's values never leak into another's;
 * command-line flags override single values. A preset's recipe is {@code VisionPreset.recipe()}.
 *
 * <table>
 *   <caption>Recipes</caption>
 *   <tr><th>dataset</th><th>values</th></tr>
 *   <tr><td>cifar100, tiny-imagenet</td><td>150 epochs, 10 warm-up, batch 128, flip 0.5,
 *       random crop (padding 4 at 32 px, 8 at 64 px), RandAugment rand-m9-mstd0.5-inc1, mixup
 *       0.25, CutMix 0.25, random erasing
 *       0.25, colour jitter 0.12 (CIFAR) / 0.15 (Tiny), label smoothing 0.1, no clipping</td></tr>
 *   <tr><td>imagenet</td><td>batch 1024, 15 warm-up epochs, no flip, no crop padding, mixup 0.8,
 *       CutMix 1.0, random erasing 0.25, jitter 0.4, label smoothing 0.1, clipping 5.0; 300
 *       epochs (not published: the usual DeiT length)</td></tr>
 *   <tr><td>imagenet fine-tuning ({@code -ft} presets)</td><td>as imagenet but batch 256, 30
 *       epochs, 5 warm-up</td></tr>
 *   <tr><td>fmnist (project's CPU presets)</td><td>100 epochs, 5 warm-up, batch 128, flip 0.5,
 *       nothing else</td></tr>
 * </table>
 *
 * <p>Colour jitter and RandAugment are both applied, as the published recipe lists both; timm's own
 * transform factory drops the jitter when RandAugment is on, so a timm-built reference may not have
 * jittered (train-vision's {@code --color-jitter 0} reproduces that).
 */
public final class VisionRecipe {

    /**
     * The reference's AutoAugment for CIFAR-100 and Tiny-ImageNet (docs/fidelity.md, paper Table
     * 8): timm's RandAugment policy, see {@link io.github.moge.vision.transform.RandAugment}.
     */
    public static final String REFERENCE_AUTO_AUGMENT = "rand-m9-mstd0.5-inc1";

    private final String dataset;
    private final int epochs;
    private final float warmupEpochs;
    private final int batchSize;
    private final float flip;
    private final int cropPadding;
    private final float mixup;
    private final float cutmix;
    private final float randomErasing;
    private final float colorJitter;
    private final String autoAugment;
    private final float labelSmoothing;
    private final float clipGradNorm;
    private final float[] mean;
    private final float[] std;

    private VisionRecipe(
            String dataset,
            int epochs,
            float warmupEpochs,
            int batchSize,
            float flip,
            int cropPadding,
            float mixup,
            float cutmix,
            float randomErasing,
            float colorJitter,
            String autoAugment,
            float labelSmoothing,
            float clipGradNorm,
            float[] mean,
            float[] std) {
        this.dataset = dataset;
        this.epochs = epochs;
        this.warmupEpochs = warmupEpochs;
        this.batchSize = batchSize;
        this.flip = flip;
        this.cropPadding = cropPadding;
        this.mixup = mixup;
        this.cutmix = cutmix;
        this.randomErasing = randomErasing;
        this.colorJitter = colorJitter;
        this.autoAugment = autoAugment;
        this.labelSmoothing = labelSmoothing;
        this.clipGradNorm = clipGradNorm;
        this.mean = mean;
        this.std = std;
    }

    /**
     * Returns the recipe of a dataset.
     *
     * @param dataset fmnist, cifar100, tiny-imagenet (or tinyimagenet) or imagenet
     * @param fineTuning whether the run fine-tunes an upcycled model (ImageNet {@code -ft} presets)
     * @param imageSize the model's input size (the crop padding of the small datasets depends on
     *     it)
     * @return the recipe
     * @throws IllegalArgumentException for an unknown dataset
     */
    public static VisionRecipe of(String dataset, boolean fineTuning, int imageSize) {
        String ds = dataset.toLowerCase(Locale.ROOT).replace("tinyimagenet", "tiny-imagenet");
        int padding = imageSize >= 64 ? 8 : 4;
        return switch (ds) {
            case "cifar100" ->
                    smallImages(
                            ds, padding, 0.12f, Normalize.CIFAR100_MEAN, Normalize.CIFAR100_STD);
            case "tiny-imagenet" ->
                    smallImages(
                            ds, padding, 0.15f, Normalize.IMAGENET_MEAN, Normalize.IMAGENET_STD);
            case "imagenet" ->
                    fineTuning
                            ? new VisionRecipe(
                                    ds + " fine-tuning",
                                    30,
                                    5,
                                    256,
                                    0f,
                                    0,
                                    0.8f,
                                    1.0f,
                                    0.25f,
                                    0.4f,
                                    null,
                                    0.1f,
                                    5f,
                                    Normalize.IMAGENET_MEAN,
                                    Normalize.IMAGENET_STD)
                            : new VisionRecipe(
                                    ds,
                                    300,
                                    15,
                                    1024,
                                    0f,
                                    0,
                                    0.8f,
                                    1.0f,
                                    0.25f,
                                    0.4f,
                                    null,
                                    0.1f,
                                    5f,
                                    Normalize.IMAGENET_MEAN,
                                    Normalize.IMAGENET_STD);
            case "fmnist" ->
                    new VisionRecipe(
                            ds,
                            100,
                            5,
                            128,
                            0.5f,
                            0,
                            0f,
                            0f,
                            0f,
                            0f,
                            null,
                            0f,
                            0f,
                            Normalize.FASHION_MNIST_MEAN,
                            Normalize.FASHION_MNIST_STD);
            default ->
                    throw new IllegalArgumentException(
                            "no training recipe for dataset '"
                                    + dataset
                                    + "': expected fmnist, cifar100, tiny-imagenet or imagenet");
        };
    }

    /** CIFAR-100 and Tiny-ImageNet share every value but the colour jitter and the mean/std. */
    private static VisionRecipe smallImages(
            String ds, int padding, float colorJitter, float[] mean, float[] std) {
        return new VisionRecipe(
                ds,
                150,
                10,
                128,
                0.5f,
                padding,
                0.25f,
                0.25f,
                0.25f,
                colorJitter,
                REFERENCE_AUTO_AUGMENT,
                0.1f,
                0f,
                mean,
                std);
    }

    /** {@return the dataset (with "fine-tuning" for the upcycled ImageNet runs)} */
    public String getDataset() {
        return dataset;
    }

    /** {@return the epochs} */
    public int getEpochs() {
        return epochs;
    }

    /** {@return the linear warm-up in epochs} */
    public float getWarmupEpochs() {
        return warmupEpochs;
    }

    /** {@return the training batch size} */
    public int getBatchSize() {
        return batchSize;
    }

    /** {@return the horizontal flip probability} */
    public float getFlip() {
        return flip;
    }

    /** {@return the random-crop padding in pixels, 0 for none} */
    public int getCropPadding() {
        return cropPadding;
    }

    /** {@return the mixup Beta alpha, 0 for off} */
    public float getMixup() {
        return mixup;
    }

    /** {@return the CutMix Beta alpha, 0 for off} */
    public float getCutmix() {
        return cutmix;
    }

    /** {@return the random erasing probability} */
    public float getRandomErasing() {
        return randomErasing;
    }

    /** {@return the colour jitter strength} */
    public float getColorJitter() {
        return colorJitter;
    }

    /**
     * Returns the RandAugment policy of the recipe, as timm spells it.
     *
     * @return the policy, or null for none
     */
    public String getAutoAugment() {
        return autoAugment;
    }

    /** {@return the label smoothing epsilon} */
    public float getLabelSmoothing() {
        return labelSmoothing;
    }

    /** {@return the global gradient-norm clip, 0 for none} */
    public float getClipGradNorm() {
        return clipGradNorm;
    }

    /** {@return the per-channel normalisation mean} */
    public float[] getMean() {
        return mean.clone();
    }

    /** {@return the per-channel normalisation std} */
    public float[] getStd() {
        return std.clone();
    }

    /** {@return the recipe, one value per line, as {@code train-vision --print-recipe} shows it} */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "recipe %s%n  epochs %d, warm-up epochs %s, batch %d%n  flip %s, crop padding %d,"
                    + " mixup %s, cutmix %s, random erasing %s, colour jitter %s%n  label smoothing"
                    + " %s, clip grad norm %s%n  mean %s, std %s%n  auto-augment %s",
                dataset,
                epochs,
                warmupEpochs,
                batchSize,
                flip,
                cropPadding,
                mixup,
                cutmix,
                randomErasing,
                colorJitter,
                labelSmoothing,
                clipGradNorm,
                Arrays.toString(mean),
                Arrays.toString(std),
                autoAugment == null ? "none" : autoAugment);
    }
}
