package io.github.moge.vision.data;

import ai.djl.Application;
import ai.djl.basicdataset.BasicDatasets;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fashion-MNIST (Zalando, 28 x 28 grey images, 10 classes, 60000 training and 10000 test examples)
 * read from local IDX files and held in memory.
 *
 * <p>Each record's data is one float32 image scaled to {@code [0, 1]}, shape {@code [1, 28, 28]} or
 * {@code [784]} when built with {@link Builder#optFlatten(boolean) optFlatten(true)}; its label is
 * the float32 class index (a scalar), as DJL's own classification datasets do. {@link
 * Builder#optLimit(long)} keeps the first N examples.
 *
 * <p>{@link #prepare(Progress)} locates the files, trying in this order:
 *
 * <ol>
 *   <li>the directory given to {@link Builder#optDataDir(Path)};
 *   <li>the directory in the environment variable {@value #ENV_DATA_DIR}, then its {@code
 *       fashion-mnist} subdirectory;
 *   <li>{@value #SYSTEM_DATA_DIR} (Debian/Ubuntu package {@code dataset-fashion-mnist});
 *   <li>DJL's Fashion-MNIST artifact (the one {@code ai.djl.basicdataset.cv.classification
 *       .FashionMnist} uses, downloaded into DJL's cache), only when the system property {@code
 *       offline} is not {@code "true"}.
 * </ol>
 *
 * The first of these that is given is the only place looked in ({@code optDataDir}, else {@value
 * #ENV_DATA_DIR} with its subdirectory): the system directory and the download are only for the
 * implicit search, when neither is given. A directory matches when it holds both {@code
 * <p>-images-idx3-ubyte[.gz]} and {@code <p>-labels-idx1-ubyte[.gz]}, with {@code p} = {@code
 * train} or {@code t10k}. When nothing is found, a {@link DataException} lists every place tried
 * and how to get the data. Every file is validated by {@link IdxReader}.
 *
 * <p>{@link #getImages(NDManager, long[])} and {@link #getLabels(NDManager, long[])} build a whole
 * batch as one NDArray, for evaluation loops that do not need the DJL batch pipeline.
 */
public final class FashionMnistDataset extends LocalImageDataset {

    /** The class names, indexed by label. */
    public static final List<String> CLASS_NAMES =
            List.of(
                    "T-shirt/top",
                    "Trouser",
                    "Pullover",
                    "Dress",
                    "Coat",
                    "Sandal",
                    "Shirt",
                    "Sneaker",
                    "Bag",
                    "Ankle boot");

    /** Number of classes. */
    public static final int NUM_CLASSES = 10;

    /** Image height and width in pixels. */
    public static final int IMAGE_SIZE = 28;

    /** Environment variable naming a data directory. */
    public static final String ENV_DATA_DIR = "MOGE_DATA";

    /** Where the Debian package {@code dataset-fashion-mnist} installs the files. */
    public static final String SYSTEM_DATA_DIR = "/usr/share/datasets/fashion-mnist";

    private static final Logger logger = LoggerFactory.getLogger(FashionMnistDataset.class);
    private static final int PIXELS = IMAGE_SIZE * IMAGE_SIZE;

    private final boolean flatten;
    private final boolean allowDownload;

    private byte[] images;
    private byte[] labels;
    private String loadedFrom;

    private FashionMnistDataset(Builder builder) {
        super(builder);
        this.flatten = builder.flatten;
        this.allowDownload = builder.allowDownload;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder (training split, not flattened, no explicit directory)
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} The DJL download is the last place tried; {@code progress} goes to it. */
    @Override
    protected void prepareData(Progress progress) throws IOException {
        String prefix = prefix();
        loadedFrom =
                search().find(
                                this::probe,
                                "DJL download of Fashion-MNIST",
                                reason -> download(progress, reason),
                                "Fashion-MNIST "
                                        + (getUsage() == Usage.TRAIN ? "training" : "test")
                                        + " data not found: looked for "
                                        + prefix
                                        + "-images-idx3-ubyte[.gz] and "
                                        + prefix
                                        + "-labels-idx1-ubyte[.gz] in:",
                                "To get the data: `apt-get install dataset-fashion-mnist` (installs"
                                        + " to "
                                        + SYSTEM_DATA_DIR
                                        + "), or put the four IDX files in a directory"
                                        + " and set "
                                        + ENV_DATA_DIR
                                        + "=<dir> or pass --data <dir>, or run"
                                        + " without -Doffline=true to let DJL download them.");
    }

    private String prefix() {
        return getUsage() == Usage.TRAIN ? "train" : "t10k";
    }

    /**
     * Returns one example: the image (float32 in {@code [0, 1]}, {@code [1, 28, 28]} or {@code
     * [784]}) and the float32 class index.
     *
     * @param manager the manager that owns the created arrays
     * @param index the example index, {@code 0 <= index < size()}
     * @return the record
     */
    @Override
    public Record get(NDManager manager, long index) {
        checkIndex(index);
        int offset = Math.toIntExact(index) * PIXELS;
        float[] pixels = new float[PIXELS];
        for (int i = 0; i < PIXELS; i++) {
            pixels[i] = (images[offset + i] & 0xFF) / 255f;
        }
        NDArray data = manager.create(pixels, imageShape());
        NDArray label = manager.create((float) (labels[(int) index] & 0xFF));
        return new Record(new NDList(data), new NDList(label));
    }

    /**
     * Builds the images at the given indices as one float32 NDArray scaled to {@code [0, 1]}: shape
     * {@code [n, 784]} when flattened, otherwise {@code [n, 1, 28, 28]}. The bytes are copied image
     * by image and converted to float on the manager's device.
     *
     * @param manager the manager (and device) of the result
     * @param indices example indices, each in {@code 0..size()-1}
     * @return the batch of images
     */
    @Override
    public NDArray getImages(NDManager manager, long[] indices) {
        checkPrepared();
        byte[] buf = gather(images, indices, PIXELS, 0, PIXELS);
        Shape shape =
                flatten
                        ? new Shape(indices.length, PIXELS)
                        : new Shape(indices.length, 1, IMAGE_SIZE, IMAGE_SIZE);
        return toFloatImages(manager, buf, shape);
    }

    /**
     * Returns the class index of one example without creating an NDArray.
     *
     * @param index the example index
     * @return the label, {@code 0..9}
     */
    @Override
    public int getLabel(long index) {
        checkIndex(index);
        return labels[(int) index] & 0xFF;
    }

    /**
     * Returns whether records hold flat {@code [784]} images.
     *
     * @return true when flattened
     */
    public boolean isFlatten() {
        return flatten;
    }

    /**
     * Returns where the data was read from (a directory, or a description of the download).
     *
     * @return the source, or null before {@link #prepare(Progress)}
     */
    public String getSource() {
        return loadedFrom;
    }

    /**
     * Returns the shape of one image as records hold it.
     *
     * @return {@code [784]} or {@code [1, 28, 28]}
     */
    public Shape imageShape() {
        return flatten ? new Shape(PIXELS) : new Shape(1, IMAGE_SIZE, IMAGE_SIZE);
    }

    /** {@inheritDoc} */
    @Override
    public int getNumClasses() {
        return NUM_CLASSES;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> getClassNames() {
        return CLASS_NAMES;
    }

    /**
     * {@inheritDoc} Always {@code [1, 28, 28]}: {@link #getImages(NDManager, long[])} returns
     * {@code [n, 784]} instead when the dataset is flattened.
     */
    @Override
    public Shape getImageShape() {
        return new Shape(1, IMAGE_SIZE, IMAGE_SIZE);
    }

    /** {@inheritDoc} Requires {@link #prepare(Progress)} first. */
    @Override
    protected long availableSize() {
        checkPrepared();
        return labels.length;
    }

    /** Loads the split when the directory holds both files, else says why not. */
    private String probe(Path dir, StringBuilder reason) throws IOException {
        String prefix = prefix();
        Path img = firstExisting(dir, prefix + "-images-idx3-ubyte");
        Path lbl = firstExisting(dir, prefix + "-labels-idx1-ubyte");
        if (img == null && lbl == null) {
            reason.append("no ").append(prefix).append(" image or label files");
        } else if (img == null) {
            reason.append("label file present but no ")
                    .append(prefix)
                    .append("-images-idx3-ubyte[.gz]");
        } else if (lbl == null) {
            reason.append("image file present but no ")
                    .append(prefix)
                    .append("-labels-idx1-ubyte[.gz]");
        } else {
            return load(img, lbl);
        }
        return null;
    }

    private static Path firstExisting(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private String load(Path imageFile, Path labelFile) throws IOException {
        IdxImages img = IdxReader.readImages(imageFile);
        byte[] lbl = IdxReader.readLabels(labelFile, NUM_CLASSES);
        accept(img, lbl, labelFile.toString());
        recordData(imageFile.getParent(), List.of(imageFile, labelFile));
        String source = imageFile.getParent().toString();
        logger.debug("Loaded {} Fashion-MNIST examples from {}", lbl.length, source);
        return source;
    }

    /** The fallback of the search: DJL's artifact, unless disabled or offline. */
    private String download(Progress progress, StringBuilder reason) {
        if (!allowDownload) {
            reason.append("disabled by optAllowDownload(false)");
        } else if ("true".equalsIgnoreCase(System.getProperty("offline"))) {
            reason.append("skipped because -Doffline=true");
        } else {
            try {
                return download(progress);
            } catch (IOException | RuntimeException e) {
                reason.append("failed (").append(e.getMessage()).append(')');
            }
        }
        return null;
    }

    private String download(Progress progress) throws IOException {
        MRL mrl =
                BasicDatasets.REPOSITORY.dataset(
                        Application.CV.ANY, BasicDatasets.GROUP_ID, "fashmnist", "1.0");
        Artifact artifact = mrl.getDefaultArtifact();
        mrl.prepare(artifact, progress);
        String split = getUsage() == Usage.TRAIN ? "train" : "test";
        Artifact.Item imageItem = artifact.getFiles().get(split + "_data");
        Artifact.Item labelItem = artifact.getFiles().get(split + "_labels");
        if (imageItem == null || labelItem == null) {
            throw new DataException(
                    "DJL Fashion-MNIST artifact " + mrl + " has no " + split + " files");
        }
        String imageSource = "DJL cache " + mrl + " " + imageItem.getName();
        String labelSource = "DJL cache " + mrl + " " + labelItem.getName();
        IdxImages img;
        byte[] lbl;
        try (InputStream in = mrl.getRepository().openStream(imageItem, null)) {
            img = IdxReader.readImages(in, imageSource);
        }
        try (InputStream in = mrl.getRepository().openStream(labelItem, null)) {
            lbl = IdxReader.readLabels(in, labelSource, NUM_CLASSES);
        }
        accept(img, lbl, labelSource);
        return "DJL cache " + mrl;
    }

    private void accept(IdxImages img, byte[] lbl, String labelSource) throws DataException {
        IdxReader.checkSameCount(img, lbl, labelSource);
        if (img.getRows() != IMAGE_SIZE || img.getCols() != IMAGE_SIZE) {
            throw new DataException(
                    img.getSource()
                            + ": images are "
                            + img.getRows()
                            + " x "
                            + img.getCols()
                            + ", Fashion-MNIST images are "
                            + IMAGE_SIZE
                            + " x "
                            + IMAGE_SIZE);
        }
        images = img.getPixels();
        labels = lbl;
    }

    /** Builds a {@link FashionMnistDataset}. */
    public static final class Builder extends LocalBuilder<Builder> {

        boolean flatten;
        boolean allowDownload = true;

        Builder() {
            super(SYSTEM_DATA_DIR, List.of("", "fashion-mnist"));
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * {@inheritDoc} Fashion-MNIST has {@link Usage#TRAIN} (60000 examples, the default) and
         * {@link Usage#TEST} (10000).
         *
         * @throws IllegalArgumentException for {@link Usage#VALIDATION}, which Fashion-MNIST does
         *     not have
         */
        @Override
        protected void checkUsage(Usage usage) {
            if (usage != Usage.TRAIN && usage != Usage.TEST) {
                throw new IllegalArgumentException(
                        "Fashion-MNIST has only TRAIN and TEST splits, got "
                                + usage
                                + "; use RandomAccessDataset.randomSplit for a validation set");
            }
        }

        /**
         * Sets whether records hold flat {@code [784]} images instead of {@code [1, 28, 28]}.
         *
         * @param flatten true for flat images
         * @return this builder
         */
        public Builder optFlatten(boolean flatten) {
            this.flatten = flatten;
            return this;
        }

        /**
         * Sets whether DJL may download the data when no local copy is found (default true; the
         * download never happens under {@code -Doffline=true}).
         *
         * @param allowDownload false to never download
         * @return this builder
         */
        public Builder optAllowDownload(boolean allowDownload) {
            this.allowDownload = allowDownload;
            return this;
        }

        /**
         * Builds the dataset; call {@link FashionMnistDataset#prepare()} before use.
         *
         * @return the dataset
         */
        public FashionMnistDataset build() {
            return new FashionMnistDataset(this);
        }
    }
}
