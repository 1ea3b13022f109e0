package io.github.moge.vision.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CIFAR-100 (32 x 32 colour images, 100 fine classes grouped into 20 coarse superclasses, 50000
 * training and 10000 test examples) read from the binary version and held in memory.
 *
 * <p>{@link Usage#TRAIN} reads {@code train.bin} and {@link Usage#TEST} {@code test.bin} (there is
 * no validation split). The binary files are sequences of {@value #RECORD_BYTES}-byte records: one
 * coarse label byte ({@code 0..19}), one fine label byte ({@code 0..99}), then 3072 pixel bytes,
 * the 1024 red values, the 1024 green values and the 1024 blue values of the image, each plane
 * row-major. {@link Builder#optLabelType(LabelType)} picks which label the records carry (fine by
 * default). Records hold a float32 image in {@code [0, 1]} of shape {@code [3, 32, 32]} and the
 * float32 label.
 *
 * <p>{@link #prepare(Progress)} looks, in this order, in the directory given to {@link
 * Builder#optDataDir(Path)}, in {@code $MOGE_DATA}, {@code $MOGE_DATA/cifar-100} and {@code
 * $MOGE_DATA/cifar100}, and in {@value #SYSTEM_DATA_DIR}. A directory matches when it holds the
 * split's {@code .bin} file, directly or in a {@code cifar-100-binary} subdirectory, or the
 * published archive {@value #ARCHIVE_NAME}, which is then extracted next to itself by {@link
 * SafeTarExtractor} (links, escaping names and oversized entries refused; the MD5 {@value
 * #ARCHIVE_MD5} is verified when the archive has the published size, otherwise the content is only
 * validated structurally). Files are validated: size a whole number of records (a file of 3073-byte
 * records is recognised as CIFAR-10 and refused with that explanation) and every label in range.
 * Nothing found gives one {@link DataException} listing every place tried.
 */
public final class Cifar100Dataset extends LocalImageDataset {

    /** Which label the records carry. */
    public enum LabelType {
        /** The 100 fine classes (the usual CIFAR-100 task). */
        FINE,
        /** The 20 coarse superclasses. */
        COARSE
    }

    /** Bytes per record: coarse label, fine label, 3 x 32 x 32 pixels. */
    public static final int RECORD_BYTES = 3074;

    /** Image side in pixels. */
    public static final int IMAGE_SIZE = 32;

    /** Number of fine classes. */
    public static final int FINE_CLASSES = 100;

    /** Number of coarse classes. */
    public static final int COARSE_CLASSES = 20;

    /** The published archive's name. */
    public static final String ARCHIVE_NAME = "cifar-100-binary.tar.gz";

    /** The published archive's MD5 (from the dataset's home page). */
    public static final String ARCHIVE_MD5 = "03b5dce01913d631647c71ecec9e9cb8";

    /** The published archive's size in bytes. */
    public static final long ARCHIVE_BYTES = 168_513_733L;

    /** The directory the archive unpacks to. */
    public static final String ARCHIVE_DIR = "cifar-100-binary";

    /** The conventional system directory. */
    public static final String SYSTEM_DATA_DIR = "/usr/share/datasets/cifar-100";

    private static final Logger logger = LoggerFactory.getLogger(Cifar100Dataset.class);
    private static final int PIXELS = 3 * IMAGE_SIZE * IMAGE_SIZE;

    /** train.bin is 153.7 MB and test.bin 30.7 MB; anything beyond this is not CIFAR-100. */
    private static final long MAX_ENTRY_BYTES = 200L << 20;

    private final LabelType labelType;

    private byte[] records;
    private int count;
    private List<String> classNames;
    private Path loadedFrom;

    private Cifar100Dataset(Builder builder) {
        super(builder);
        this.labelType = builder.labelType;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder (training split, fine labels)
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} A matching directory that holds only the archive gets it extracted. */
    @Override
    protected void prepareData(Progress progress) throws IOException {
        String file = fileName();
        Path bin =
                search().find(
                                this::probe,
                                "CIFAR-100 "
                                        + (getUsage() == Usage.TRAIN ? "training" : "test")
                                        + " data ("
                                        + file
                                        + " or "
                                        + ARCHIVE_NAME
                                        + ")",
                                "To get the data: download "
                                        + ARCHIVE_NAME
                                        + " (binary version) from"
                                        + " https://www.cs.toronto.edu/~kriz/cifar.html and put it"
                                        + " (or its extracted "
                                        + ARCHIVE_DIR
                                        + " folder) in a"
                                        + " directory given by --data, or set "
                                        + FashionMnistDataset.ENV_DATA_DIR
                                        + "=<dir>.");
        load(bin);
    }

    private String fileName() {
        return getUsage() == Usage.TRAIN ? "train.bin" : "test.bin";
    }

    private Path probe(Path dir, StringBuilder reason) throws IOException {
        String file = fileName();
        for (Path p : new Path[] {dir.resolve(file), dir.resolve(ARCHIVE_DIR).resolve(file)}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        Path archive = dir.resolve(ARCHIVE_NAME);
        if (Files.isRegularFile(archive)) {
            extractArchive(archive, dir);
            Path p = dir.resolve(ARCHIVE_DIR).resolve(file);
            if (!Files.isRegularFile(p)) {
                throw new DataException(
                        archive + ": the archive holds no " + ARCHIVE_DIR + "/" + file);
            }
            return p;
        }
        reason.append("no ")
                .append(file)
                .append(", ")
                .append(ARCHIVE_DIR)
                .append('/')
                .append(file)
                .append(" or ")
                .append(ARCHIVE_NAME);
        return null;
    }

    private static void extractArchive(Path archive, Path dir) throws IOException {
        long size = Files.size(archive);
        if (size == ARCHIVE_BYTES) {
            String md5 = SafeTarExtractor.md5(archive);
            if (!md5.equals(ARCHIVE_MD5)) {
                throw new DataException(
                        archive
                                + ": MD5 "
                                + md5
                                + " differs from the published "
                                + ARCHIVE_MD5
                                + "; the download is corrupt, delete it and download again");
            }
        } else {
            logger.warn(
                    "{} is {} bytes, not the published {}: MD5 not checked, content validated only",
                    archive,
                    size,
                    ARCHIVE_BYTES);
        }
        if (!Files.isWritable(dir)) {
            throw new DataException(
                    archive
                            + ": cannot extract, "
                            + dir
                            + " is not writable; extract it elsewhere"
                            + " (tar xzf) and pass that directory with --data");
        }
        logger.info("Extracting {} into {}", archive, dir);
        new SafeTarExtractor(MAX_ENTRY_BYTES, 4 * MAX_ENTRY_BYTES).extract(archive, dir);
    }

    private void load(Path bin) throws IOException {
        long bytes = Files.size(bin);
        if (bytes == 0) {
            throw new DataException(bin + ": empty file");
        }
        if (bytes % RECORD_BYTES != 0) {
            String hint =
                    bytes % (RECORD_BYTES - 1) == 0
                            ? " (it is a whole number of 3073-byte records: that is CIFAR-10, which"
                                    + " has one label byte, not CIFAR-100)"
                            : " (truncated download or not a CIFAR-100 binary file)";
            throw new DataException(
                    bin
                            + ": size "
                            + bytes
                            + " is not a multiple of the "
                            + RECORD_BYTES
                            + "-byte CIFAR-100 record"
                            + hint);
        }
        if (bytes > MAX_ENTRY_BYTES) {
            throw new DataException(bin + ": " + bytes + " bytes is far more than CIFAR-100 has");
        }
        byte[] data = Files.readAllBytes(bin);
        int n = data.length / RECORD_BYTES;
        for (int i = 0; i < n; i++) {
            int coarse = data[i * RECORD_BYTES] & 0xFF;
            int fine = data[i * RECORD_BYTES + 1] & 0xFF;
            if (coarse >= COARSE_CLASSES || fine >= FINE_CLASSES) {
                throw new DataException(
                        String.format(
                                "%s: record %d (byte offset %d) has coarse label %d (valid 0..%d)"
                                        + " and fine label %d (valid 0..%d)",
                                bin,
                                i,
                                (long) i * RECORD_BYTES,
                                coarse,
                                COARSE_CLASSES - 1,
                                fine,
                                FINE_CLASSES - 1));
            }
        }
        int expected = getUsage() == Usage.TRAIN ? 50_000 : 10_000;
        if (n != expected) {
            logger.warn("{}: {} records, the published split has {}", bin, n, expected);
        }
        classNames = readNames(bin.getParent());
        records = data;
        count = n;
        loadedFrom = bin;
        List<Path> files = new ArrayList<>(List.of(bin));
        for (String names : List.of("fine_label_names.txt", "coarse_label_names.txt")) {
            if (Files.isRegularFile(bin.resolveSibling(names))) {
                files.add(bin.resolveSibling(names));
            }
        }
        recordData(bin.getParent(), files);
    }

    private List<String> readNames(Path dir) throws IOException {
        boolean fine = labelType == LabelType.FINE;
        int k = fine ? FINE_CLASSES : COARSE_CLASSES;
        Path f = dir.resolve(fine ? "fine_label_names.txt" : "coarse_label_names.txt");
        List<String> names = new ArrayList<>();
        if (Files.isRegularFile(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
            if (names.size() != k) {
                throw new DataException(f + ": " + names.size() + " class names, expected " + k);
            }
        } else {
            for (int i = 0; i < k; i++) {
                names.add((fine ? "fine_" : "coarse_") + i);
            }
        }
        return Collections.unmodifiableList(names);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray getImages(NDManager manager, long[] indices) {
        checkPrepared();
        byte[] buf = gather(records, indices, RECORD_BYTES, 2, PIXELS);
        return toFloatImages(manager, buf, new Shape(indices.length, 3, IMAGE_SIZE, IMAGE_SIZE));
    }

    /** {@inheritDoc} */
    @Override
    public int getLabel(long index) {
        checkIndex(index);
        int offset = (int) index * RECORD_BYTES + (labelType == LabelType.FINE ? 1 : 0);
        return records[offset] & 0xFF;
    }

    /**
     * Returns the coarse (superclass) label of an example, whichever label type records carry.
     *
     * @param index the example index
     * @return {@code 0..19}
     */
    public int getCoarseLabel(long index) {
        checkIndex(index);
        return records[(int) index * RECORD_BYTES] & 0xFF;
    }

    /** {@inheritDoc} */
    @Override
    public int getNumClasses() {
        return labelType == LabelType.FINE ? FINE_CLASSES : COARSE_CLASSES;
    }

    /** {@inheritDoc} Requires {@link #prepare()} first. */
    @Override
    public List<String> getClassNames() {
        checkPrepared();
        return classNames;
    }

    /** {@inheritDoc} */
    @Override
    public Shape getImageShape() {
        return new Shape(3, IMAGE_SIZE, IMAGE_SIZE);
    }

    /**
     * Returns the label type records carry.
     *
     * @return fine or coarse
     */
    public LabelType getLabelType() {
        return labelType;
    }

    /**
     * Returns the file the split was read from.
     *
     * @return the {@code .bin} file, or null before {@link #prepare()}
     */
    public Path getSource() {
        return loadedFrom;
    }

    /** {@inheritDoc} Requires {@link #prepare()} first. */
    @Override
    protected long availableSize() {
        checkPrepared();
        return count;
    }

    /** Builds a {@link Cifar100Dataset}. */
    public static final class Builder extends LocalBuilder<Builder> {

        LabelType labelType = LabelType.FINE;

        Builder() {
            super(SYSTEM_DATA_DIR, List.of("", "cifar-100", "cifar100"));
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * {@inheritDoc} CIFAR-100 has {@link Usage#TRAIN} ({@code train.bin}, the default) and
         * {@link Usage#TEST} ({@code test.bin}).
         *
         * @throws IllegalArgumentException for {@link Usage#VALIDATION}, which CIFAR-100 lacks
         */
        @Override
        protected void checkUsage(Usage usage) {
            if (usage != Usage.TRAIN && usage != Usage.TEST) {
                throw new IllegalArgumentException(
                        "CIFAR-100 has only TRAIN and TEST splits, got " + usage);
            }
        }

        /**
         * Sets which label records carry (default {@link LabelType#FINE}).
         *
         * @param labelType fine (100 classes) or coarse (20 superclasses)
         * @return this builder
         */
        public Builder optLabelType(LabelType labelType) {
            this.labelType = Objects.requireNonNull(labelType, "labelType");
            return this;
        }

        /**
         * Builds the dataset; call {@link Cifar100Dataset#prepare()} before use.
         *
         * @return the dataset
         */
        public Cifar100Dataset build() {
            return new Cifar100Dataset(this);
        }
    }
}
