package io.github.moge.vision.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An ImageNet-style image folder: one subfolder per class holding that class's images, with the
 * splits in {@code train/} and {@code val/} of a root folder (ImageNet-1K after the usual
 * validation reorganisation):
 *
 * <pre>
 *   root/train/&lt;class&gt;/*.JPEG
 *   root/val/&lt;class&gt;/*.JPEG
 * </pre>
 *
 * <p>{@link Usage#TRAIN} reads {@code train/}, the other splits {@code val/}. The classes are the
 * sorted subfolder names of {@code train/} (of the split folder when there is no {@code train/}),
 * so both splits share one label numbering; a validation class absent from {@code train/} is an
 * error. A root without {@code train/} and {@code val/} is itself read as one split. Images are
 * decoded with {@link ImageDecoder}: resized on the shorter side to {@code optResizeShorter}
 * (default 8/7 of the size, 256 for 224) and centre-cropped to {@code optImageSize} (default 224);
 * records hold float32 {@code [3, size, size]} in {@code [0, 1]}.
 *
 * <p>{@link #prepare()} looks in the directory given to {@link Builder#optDataDir(Path)} (the root,
 * holding {@code train/} and {@code val/} or class folders), then {@code $MOGE_DATA/imagenet}, then
 * {@value #SYSTEM_DATA_DIR}. (Unlike DJL's {@code ImageFolder}, it knows the split layout, builds
 * fixed-size batches for {@link ImageClassificationData} and validates with this package's
 * messages.)
 */
public final class ImageFolderDataset extends ImageFileDataset {

    /** Default output side. */
    public static final int DEFAULT_SIZE = 224;

    /** The conventional system directory. */
    public static final String SYSTEM_DATA_DIR = "/usr/share/datasets/imagenet";

    private ImageFolderDataset(Builder builder) {
        super(builder);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder (training split, 224 px)
     */
    public static Builder builder() {
        return new Builder();
    }

    private String splitName() {
        return getUsage() == Usage.TRAIN ? "train" : "val";
    }

    /** {@inheritDoc} */
    @Override
    protected Listing list() throws IOException {
        return listSplit(
                search().find(
                                this::probe,
                                "Image folder data (" + splitName() + "/<class>/<images>)",
                                "Lay the data out as <root>/train/<class>/*.JPEG and"
                                    + " <root>/val/<class>/*.JPEG and pass <root> with --data, or"
                                    + " put it in $"
                                        + FashionMnistDataset.ENV_DATA_DIR
                                        + "/imagenet."));
    }

    /** {@return the root when it matches (the root holds the split, or is itself class folders)} */
    private Path probe(Path dir, StringBuilder reason) throws IOException {
        if (Files.isDirectory(dir.resolve(splitName()))) {
            return dir;
        }
        if (Files.isDirectory(dir.resolve("train")) || Files.isDirectory(dir.resolve("val"))) {
            reason.append("has no ").append(splitName()).append("/ folder");
            return null;
        }
        if (!classDirs(dir).isEmpty()) {
            return dir;
        }
        reason.append("no ").append(splitName()).append("/ folder and no class subfolders");
        return null;
    }

    private Listing listSplit(Path root) throws IOException {
        Path split =
                Files.isDirectory(root.resolve(splitName())) ? root.resolve(splitName()) : root;
        Path classSource = Files.isDirectory(root.resolve("train")) ? root.resolve("train") : split;
        List<String> classes = classDirs(classSource);
        recordData(root, classSource.equals(split) ? List.of(split) : List.of(split, classSource));
        if (classes.isEmpty()) {
            throw new DataException(classSource + ": no class subfolders");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (String c : classDirs(split)) {
            int label = classes.indexOf(c);
            if (label < 0) {
                throw new DataException(
                        split.resolve(c)
                                + ": class folder "
                                + c
                                + " has no counterpart in "
                                + classSource);
            }
            List<Path> images = TinyImageNetDataset.imagesIn(split.resolve(c));
            if (images.isEmpty()) {
                throw new DataException(
                        split.resolve(c) + ": no images (jpg, jpeg, png, bmp, gif)");
            }
            for (Path p : images) {
                files.add(p);
                labels.add(label);
            }
        }
        return new Listing(files, TinyImageNetDataset.toArray(labels), classes, split.toString());
    }

    private static List<String> classDirs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** Builds an {@link ImageFolderDataset}. */
    public static final class Builder extends FileBuilder<Builder> {

        Builder() {
            // $MOGE_DATA itself is not tried: it holds other datasets, which would look like
            // classes.
            super(DEFAULT_SIZE, SYSTEM_DATA_DIR, List.of("imagenet"));
            optResizeShorter(DEFAULT_SIZE * 8 / 7);
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the image side and, unless set afterwards, the shorter side before cropping to 8/7
         * of it.
         *
         * @param size the side in pixels
         * @return this builder
         */
        @Override
        public Builder optImageSize(int size) {
            super.optImageSize(size);
            return optResizeShorter(size * 8 / 7);
        }

        /**
         * Builds the dataset; call {@link ImageFolderDataset#prepare()} before use.
         *
         * @return the dataset
         */
        public ImageFolderDataset build() {
            return new ImageFolderDataset(this);
        }
    }
}
