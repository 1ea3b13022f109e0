package io.github.moge.examples.vision;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import io.github.moge.vision.data.Cifar100Dataset;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.data.ImageFolderDataset;
import io.github.moge.vision.data.LocalImageDataset;
import io.github.moge.vision.data.TinyImageNetDataset;
import io.github.moge.vision.preset.VisionPreset;
import io.github.moge.vision.train.VisionRecipe;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the settings of a {@code train-vision} run resolve to: the preset (after {@code --moge}),
 * the data set, its recipe and the model overrides. Training and the loading of a trained run
 * ({@link TrainedVisionRun}) both build the model, open the data and prepare evaluation images
 * through it, so a loaded model sees its test images exactly as the run did.
 *
 * @param preset the preset
 * @param dataset the canonical data set name ({@code fmnist}, {@code cifar100}, {@code
 *     tiny-imagenet}, {@code imagenet})
 * @param recipe the preset's recipe on that data set
 * @param overrides {@code --experts}, {@code --top-k}, {@code --lambda}, {@code --load-form}
 */
record VisionRunModel(
        VisionPreset preset,
        String dataset,
        VisionRecipe recipe,
        VisionPreset.Overrides overrides) {

    /**
     * Resolves validated settings.
     *
     * @param s the settings
     * @return the resolved run
     * @throws IllegalArgumentException if the preset is unknown or has no recipe for the data set
     */
    static VisionRunModel of(VisionRunSettings s) {
        VisionPreset p =
                VisionPreset.get(TrainVisionCommand.resolvePresetName(s.preset(), s.moge()));
        String ds =
                s.dataset() != null
                        ? s.dataset().toLowerCase(Locale.ROOT)
                        : canonicalDataset(p.getDataset());
        return new VisionRunModel(
                p,
                ds,
                p.recipe(ds),
                TrainVisionCommand.overrides(p, s.experts(), s.topK(), s.lambda(), s.loadForm()));
    }

    private static String canonicalDataset(String presetDataset) {
        return presetDataset.equals("tinyimagenet") ? "tiny-imagenet" : presetDataset;
    }

    /**
     * Returns the padded size of images smaller than the preset's input: Fashion-MNIST's 28 x 28
     * become 32 x 32 for a 32-pixel preset; 0 when no padding is needed.
     *
     * @param image the data set's image shape {@code [C, H, W]}
     * @return the size to pad to, or 0
     */
    int padTo(Shape image) {
        return image.get(1) < preset.getImageSize() ? preset.getImageSize() : 0;
    }

    /**
     * Returns the deterministic part of the run's pipeline: padding and the recipe's normalisation,
     * what every evaluation image goes through.
     *
     * @param image the data set's image shape {@code [C, H, W]}
     * @return the evaluation pipeline
     */
    AugmentationPipeline evaluationPipeline(Shape image) {
        return AugmentationPipeline.builder()
                .optPadTo(padTo(image))
                .optNormalize(recipe.getMean(), recipe.getStd())
                .build();
    }

    /**
     * Opens and prepares one split of the data set.
     *
     * @param data the data directory, or null for the loader's default search
     * @param usage the split
     * @return the prepared split
     * @throws IOException if the files are missing or corrupt
     */
    LocalImageDataset openData(Path data, Dataset.Usage usage) throws IOException {
        LocalImageDataset d;
        switch (dataset) {
            case "fmnist":
                d =
                        FashionMnistDataset.builder()
                                .optDataDir(data)
                                .optUsage(usage)
                                .setSampling(1, false)
                                .build();
                break;
            case "cifar100":
                d =
                        Cifar100Dataset.builder()
                                .optDataDir(data)
                                .optUsage(usage)
                                .setSampling(1, false)
                                .build();
                break;
            case "tiny-imagenet":
                d =
                        TinyImageNetDataset.builder()
                                .optDataDir(data)
                                .optUsage(usage)
                                .optImageSize(preset.getImageSize())
                                .optCacheInMemory(true)
                                .setSampling(1, false)
                                .build();
                break;
            case "imagenet":
                d =
                        ImageFolderDataset.builder()
                                .optDataDir(data)
                                .optUsage(usage)
                                .optImageSize(preset.getImageSize())
                                .setSampling(1, false)
                                .build();
                break;
            default:
                throw new IllegalArgumentException(
                        "unknown --dataset "
                                + dataset
                                + "; use fmnist, cifar100, tiny-imagenet or imagenet");
        }
        d.prepare();
        return d;
    }
}
