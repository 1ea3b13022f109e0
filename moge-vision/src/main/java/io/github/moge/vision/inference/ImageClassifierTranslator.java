package io.github.moge.vision.inference;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.util.NDImageUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.util.List;
import java.util.Objects;

/**
 * Classifies images with a trained vision model, preparing each image as the run's evaluation
 * prepared its test images: read grey or RGB as the data set is, resized (bilinear) to the data
 * set's image size when it differs, scaled to {@code [0, 1]}, then padded and normalised by the
 * deterministic part of the run's {@link AugmentationPipeline} ({@link AugmentationPipeline#eval}).
 * The output is the softmax of the logits over the class names; {@code Classifications.topK(5)}
 * gives the top-5.
 *
 * <p>Use it with {@code model.newPredictor(translator)} on a model whose block is the trained one;
 * batches of images go through {@code predictor.batchPredict}.
 */
public final class ImageClassifierTranslator implements Translator<Image, Classifications> {

    private final List<String> classNames;
    private final Shape imageShape;
    private final AugmentationPipeline pipeline;

    private ImageClassifierTranslator(Builder builder) {
        this.classNames = List.copyOf(builder.classNames);
        this.imageShape = builder.imageShape;
        this.pipeline = builder.pipeline;
    }

    /** {@return a new builder} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the class names, indexed by label} */
    public List<String> getClassNames() {
        return classNames;
    }

    /** {@return the image shape {@code [C, H, W]} of the data set, before padding} */
    public Shape getImageShape() {
        return imageShape;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        int channels = (int) imageShape.get(0);
        int height = (int) imageShape.get(1);
        int width = (int) imageShape.get(2);
        NDArray hwc =
                input.toNDArray(
                                ctx.getNDManager(),
                                channels == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR)
                        .toType(DataType.FLOAT32, false);
        if (hwc.getShape().get(0) != height || hwc.getShape().get(1) != width) {
            hwc = NDImageUtils.resize(hwc, width, height, Image.Interpolation.BILINEAR);
        }
        NDArray chw = hwc.transpose(2, 0, 1).div(255f);
        return new NDList(pipeline.eval(chw.expandDims(0)).squeeze(0));
    }

    /** {@inheritDoc} */
    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.head();
        if (logits.getShape().tail() != classNames.size()) {
            throw new IllegalStateException(
                    "the model gives "
                            + logits.getShape().tail()
                            + " logits but the translator has "
                            + classNames.size()
                            + " class names: build it with the run's data set");
        }
        return new Classifications(classNames, logits.softmax(-1));
    }

    /** Builds an {@link ImageClassifierTranslator}. */
    public static final class Builder {
        private List<String> classNames;
        private Shape imageShape;
        private AugmentationPipeline pipeline;

        private Builder() {}

        /**
         * Sets the class names, indexed by label (the data set's).
         *
         * @param classNames one name per class
         * @return this builder
         */
        public Builder setClassNames(List<String> classNames) {
            this.classNames = classNames;
            return this;
        }

        /**
         * Sets the image shape of the data set, before padding.
         *
         * @param imageShape {@code [C, H, W]}, C = 1 (grey) or 3 (RGB)
         * @return this builder
         */
        public Builder setImageShape(Shape imageShape) {
            this.imageShape = imageShape;
            return this;
        }

        /**
         * Sets the run's augmentation pipeline; only its padding and normalisation are applied.
         *
         * @param pipeline the pipeline
         * @return this builder
         */
        public Builder setPipeline(AugmentationPipeline pipeline) {
            this.pipeline = pipeline;
            return this;
        }

        /**
         * Builds the translator.
         *
         * @return the translator
         * @throws IllegalArgumentException if a setting is missing or the shape is not [C, H, W]
         *     with C = 1 or 3
         */
        public ImageClassifierTranslator build() {
            Objects.requireNonNull(classNames, "setClassNames is required");
            Objects.requireNonNull(imageShape, "setImageShape is required");
            Objects.requireNonNull(pipeline, "setPipeline is required");
            if (imageShape.dimension() != 3
                    || (imageShape.get(0) != 1 && imageShape.get(0) != 3)
                    || imageShape.get(1) < 1
                    || imageShape.get(2) < 1) {
                throw new IllegalArgumentException(
                        "image shape must be [C, H, W] with C = 1 or 3, got " + imageShape);
            }
            if (classNames.isEmpty()) {
                throw new IllegalArgumentException("class names are empty");
            }
            return new ImageClassifierTranslator(this);
        }
    }
}
