package io.github.moge.vision.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Tiny-ImageNet-200 (64 x 64 colour images, 200 classes, 500 training and 50 validation images per
 * class) read from the layout of its published zip, {@code tiny-imagenet-200/}:
 *
 * <pre>
 *   wnids.txt                          one WordNet id per line, the classes
 *   train/&lt;wnid&gt;/images/*.JPEG         the training images of each class
 *   val/images/*.JPEG                  the validation images
 *   val/val_annotations.txt            per line: file name, wnid, x0, y0, x1, y1 (tab-separated)
 * </pre>
 *
 * <p>Labels index the <em>sorted</em> wnids, the order of an image-folder reader over {@code
 * train/}, so labels agree with models trained by folder-based tools. {@link Usage#TRAIN} reads
 * {@code train/}; {@link Usage#VALIDATION} and {@link Usage#TEST} both read {@code val/}, the
 * labelled split that papers report (the published {@code test/} has no labels). Records hold
 * float32 {@code [3, 64, 64]} images in {@code [0, 1]}; {@code optImageSize} resizes.
 *
 * <p>{@link #prepare()} looks, in this order, in the directory given to {@link
 * Builder#optDataDir(Path)}, in {@code $MOGE_DATA} and {@code $MOGE_DATA/tiny-imagenet-200}, and in
 * {@value #SYSTEM_DATA_DIR}; a directory matches when it holds {@code wnids.txt} or a {@code
 * tiny-imagenet-200} folder that does. Missing class folders, empty classes, malformed annotation
 * lines, unknown wnids and missing validation files are errors naming the file (and line).
 */
public final class TinyImageNetDataset extends ImageFileDataset {

    /** Image side of the published data. */
    public static final int IMAGE_SIZE = 64;

    /** The folder the published zip unpacks to. */
    public static final String ROOT_NAME = "tiny-imagenet-200";

    /** The conventional system directory. */
    public static final String SYSTEM_DATA_DIR = "/usr/share/datasets/tiny-imagenet-200";

    private TinyImageNetDataset(Builder builder) {
        super(builder);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder (training split, 64 px)
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    protected Listing list() throws IOException {
        Path root =
                search().find(
                                TinyImageNetDataset::probe,
                                "Tiny-ImageNet (" + ROOT_NAME + "/wnids.txt)",
                                "To get the data: download tiny-imagenet-200.zip"
                                    + " (http://cs231n.stanford.edu/tiny-imagenet-200.zip), unzip"
                                    + " it and pass the folder with --data, or set "
                                        + FashionMnistDataset.ENV_DATA_DIR
                                        + "=<dir containing "
                                        + ROOT_NAME
                                        + ">.");
        List<String> wnids = readWnids(root.resolve("wnids.txt"));
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < wnids.size(); i++) {
            index.put(wnids.get(i), i);
        }
        boolean train = getUsage() == Usage.TRAIN;
        // wnids.txt orders the labels of both splits; the split's folder holds its images.
        recordData(root, List.of(root.resolve("wnids.txt"), root.resolve(train ? "train" : "val")));
        return train ? listTrain(root, wnids) : listVal(root, index, wnids);
    }

    private static Path probe(Path dir, StringBuilder reason) {
        if (Files.isRegularFile(dir.resolve("wnids.txt"))) {
            return dir;
        }
        if (Files.isRegularFile(dir.resolve(ROOT_NAME).resolve("wnids.txt"))) {
            return dir.resolve(ROOT_NAME);
        }
        reason.append("no wnids.txt and no ").append(ROOT_NAME).append("/wnids.txt");
        return null;
    }

    /** Reads the class ids, checks them and returns them sorted. */
    static List<String> readWnids(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> wnids = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String id = lines.get(i).strip();
            if (id.isEmpty()) {
                continue;
            }
            if (!id.matches("[A-Za-z0-9_\\-]+")) {
                throw new DataException(
                        file
                                + ":"
                                + (i + 1)
                                + ": malformed class id '"
                                + id
                                + "' (expected e.g. n01443537)");
            }
            if (wnids.contains(id)) {
                throw new DataException(
                        file + ":" + (i + 1) + ": class id " + id + " listed twice");
            }
            wnids.add(id);
        }
        if (wnids.isEmpty()) {
            throw new DataException(file + ": no class ids");
        }
        wnids.sort(null);
        return wnids;
    }

    private static Listing listTrain(Path root, List<String> wnids) throws IOException {
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < wnids.size(); c++) {
            Path dir = root.resolve("train").resolve(wnids.get(c)).resolve("images");
            if (!Files.isDirectory(dir)) {
                throw new DataException(
                        dir
                                + ": missing; wnids.txt lists class "
                                + wnids.get(c)
                                + " but train/"
                                + wnids.get(c)
                                + "/images does not exist");
            }
            List<Path> images = imagesIn(dir);
            if (images.isEmpty()) {
                throw new DataException(dir + ": no images for class " + wnids.get(c));
            }
            for (Path p : images) {
                files.add(p);
                labels.add(c);
            }
        }
        return new Listing(files, toArray(labels), wnids, root + " (train)");
    }

    private static Listing listVal(Path root, Map<String, Integer> index, List<String> wnids)
            throws IOException {
        Path ann = root.resolve("val").resolve("val_annotations.txt");
        Path images = root.resolve("val").resolve("images");
        if (!Files.isRegularFile(ann)) {
            throw new DataException(
                    ann + ": missing; the validation split needs it for its labels");
        }
        List<String> lines = Files.readAllLines(ann, StandardCharsets.UTF_8);
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length < 2 || f[0].isBlank() || f[1].isBlank()) {
                throw new DataException(
                        ann
                                + ":"
                                + (i + 1)
                                + ": malformed line '"
                                + line
                                + "' (expected file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1)");
            }
            String name = f[0].strip();
            if (name.contains("/")
                    || name.contains("\\")
                    || name.equals("..")
                    || name.equals(".")) {
                throw new DataException(
                        ann + ":" + (i + 1) + ": file name '" + name + "' is not a plain name");
            }
            Integer label = index.get(f[1].strip());
            if (label == null) {
                throw new DataException(
                        ann
                                + ":"
                                + (i + 1)
                                + ": class id "
                                + f[1].strip()
                                + " is not in wnids.txt");
            }
            Path p = images.resolve(name);
            if (!Files.isRegularFile(p)) {
                throw new DataException(ann + ":" + (i + 1) + ": image " + p + " does not exist");
            }
            files.add(p);
            labels.add(label);
        }
        if (files.isEmpty()) {
            throw new DataException(ann + ": no annotated images");
        }
        return new Listing(files, toArray(labels), wnids, root + " (val)");
    }

    /** Image files (jpeg, jpg, png, bmp, gif) directly in a directory, sorted by name. */
    static List<Path> imagesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(
                            p ->
                                    p.getFileName()
                                            .toString()
                                            .toLowerCase(java.util.Locale.ROOT)
                                            .matches(".*\\.(jpe?g|png|bmp|gif)"))
                    .sorted()
                    .collect(java.util.stream.Collectors.toList());
        }
    }

    static int[] toArray(List<Integer> list) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }

    /** Builds a {@link TinyImageNetDataset}. */
    public static final class Builder extends FileBuilder<Builder> {

        Builder() {
            super(IMAGE_SIZE, SYSTEM_DATA_DIR, List.of("", ROOT_NAME));
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the dataset; call {@link TinyImageNetDataset#prepare()} before use.
         *
         * @return the dataset
         */
        public TinyImageNetDataset build() {
            return new TinyImageNetDataset(this);
        }
    }
}
