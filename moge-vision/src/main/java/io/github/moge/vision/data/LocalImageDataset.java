package io.github.moge.vision.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Objects;

/**
 * Base of this package's datasets: labelled images read from local files, found by a {@link
 * DataSearch} over the directories its {@link LocalBuilder} names (explicit directory, {@code
 * $MOGE_DATA} and its dataset subdirectories, a system directory).
 *
 * <p>It implements what the datasets share: {@link #prepare()} runs the subclass's {@link
 * #prepareData(Progress)} once; examples may be read only after it ({@link #checkPrepared()},
 * {@link #checkIndex(long)}); records, label batches and the conversion of pixel bytes to float32
 * in {@code [0, 1]} are built from {@link #getImages(NDManager, long[])} and {@link
 * #getLabel(long)}.
 */
public abstract class LocalImageDataset extends RandomAccessDataset
        implements ImageClassificationData {

    private final Usage usage;
    private final DataSearch search;
    private volatile boolean prepared;
    private Path dataLocation;
    private List<Path> dataFiles = List.of();

    /**
     * Creates the dataset from its builder.
     *
     * @param builder the builder
     */
    protected LocalImageDataset(LocalBuilder<?> builder) {
        super(builder);
        this.usage = builder.usage;
        this.search = builder.search();
    }

    /**
     * Locates, reads and validates the chosen split; does nothing when already prepared. Unlike
     * {@link Dataset#prepare()} it throws no {@code TranslateException}.
     *
     * @throws DataException if the data cannot be found (the message lists every place tried) or is
     *     malformed (the message names the file and the problem)
     * @throws IOException if reading fails for another reason
     */
    @Override
    public void prepare() throws IOException {
        prepare(null);
    }

    /**
     * Locates, reads and validates the chosen split; does nothing when already prepared.
     *
     * @param progress passed to a download where the dataset has one, otherwise ignored
     * @throws DataException if the data cannot be found (the message lists every place tried) or is
     *     malformed (the message names the file and the problem)
     * @throws IOException if reading fails for another reason
     */
    @Override
    public final synchronized void prepare(Progress progress) throws IOException {
        if (prepared) {
            return;
        }
        prepareData(progress);
        prepared = true;
    }

    /**
     * Locates, reads and validates the chosen split; called once, by {@link #prepare(Progress)}.
     *
     * @param progress the progress of {@link #prepare(Progress)}, may be null
     * @throws DataException if the data cannot be found or is malformed
     * @throws IOException if reading fails for another reason
     */
    protected abstract void prepareData(Progress progress) throws IOException;

    /** The search over the builder's directories. */
    DataSearch search() {
        return search;
    }

    /**
     * Records where the split was found, for {@link #getDataLocation()} and {@link
     * #getDataFiles()}.
     *
     * @param location the directory that, given to {@code optDataDir}, reads the same files
     * @param files the files (or directories) the split reads
     */
    protected final void recordData(Path location, List<Path> files) {
        this.dataLocation = location.toAbsolutePath().normalize();
        this.dataFiles = files.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    /**
     * Returns the directory the split was read from: given to {@link
     * LocalBuilder#optDataDir(Path)}, it reads the same files without a search (a resumed run opens
     * its data from there).
     *
     * @return the absolute directory, or null before {@link #prepare()} or when the data did not
     *     come from a directory (a download)
     */
    public Path getDataLocation() {
        return dataLocation;
    }

    /**
     * Returns the files the split reads (a directory stands for every file below it), for a
     * fingerprint of the run's data.
     *
     * @return the absolute paths, empty before {@link #prepare()} or for a download
     */
    public List<Path> getDataFiles() {
        return dataFiles;
    }

    /**
     * Returns the split this dataset reads.
     *
     * @return the usage given to the builder ({@link Usage#TRAIN} by default)
     */
    public Usage getUsage() {
        return usage;
    }

    /**
     * Returns one example: the image of {@link #getImages(NDManager, long[])} without its batch
     * axis, and the float32 class index.
     *
     * @param manager the manager that owns the created arrays
     * @param index the example index, {@code 0 <= index < size()}
     * @return the record
     */
    @Override
    public Record get(NDManager manager, long index) {
        NDArray img = getImages(manager, new long[] {index}).squeeze(0);
        return new Record(new NDList(img), new NDList(manager.create((float) getLabel(index))));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray getLabels(NDManager manager, long[] indices) {
        checkPrepared();
        float[] out = new float[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = getLabel(indices[i]);
        }
        return manager.create(out);
    }

    /**
     * Throws unless {@link #prepare()} has completed.
     *
     * @throws IllegalStateException before {@link #prepare()}
     */
    protected final void checkPrepared() {
        if (!prepared) {
            throw new IllegalStateException(
                    getClass().getSimpleName() + ": call prepare() before reading examples");
        }
    }

    /**
     * Throws unless the dataset is prepared and the index is in range.
     *
     * @param index the example index
     * @throws IllegalStateException before {@link #prepare()}
     * @throws IndexOutOfBoundsException if the index is outside {@code 0..size()-1}
     */
    protected final void checkIndex(long index) {
        checkPrepared();
        long size = size();
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(
                    getClass().getSimpleName()
                            + " index "
                            + index
                            + " out of range 0.."
                            + (size - 1));
        }
    }

    /**
     * Copies the pixel bytes of some examples out of one array that holds every example at a fixed
     * stride, checking each index.
     *
     * @param data the examples
     * @param indices example indices
     * @param stride bytes per example in {@code data}
     * @param offset where an example's pixels start within its stride
     * @param pixels pixel bytes per example
     * @return the pixels of the examples, one after the other
     */
    protected final byte[] gather(byte[] data, long[] indices, int stride, int offset, int pixels) {
        byte[] buf = new byte[indices.length * pixels];
        for (int i = 0; i < indices.length; i++) {
            checkIndex(indices[i]);
            System.arraycopy(data, (int) indices[i] * stride + offset, buf, i * pixels, pixels);
        }
        return buf;
    }

    /**
     * Creates a float32 array in {@code [0, 1]} from pixel bytes, converted on the manager's
     * device.
     *
     * @param manager the manager (and device) of the result
     * @param pixels the bytes, {@code shape.size()} of them
     * @param shape the shape of the result
     * @return the pixels divided by 255
     */
    protected static NDArray toFloatImages(NDManager manager, byte[] pixels, Shape shape) {
        try (NDArray raw = manager.create(ByteBuffer.wrap(pixels), shape, DataType.UINT8);
                NDArray asFloat = raw.toType(DataType.FLOAT32, false)) {
            return asFloat.div(255f);
        }
    }

    /**
     * The settings every local dataset has: the split and where to look for the files.
     *
     * <p>The search order is fixed: the directory given to {@link #optDataDir(Path)}, then {@code
     * $MOGE_DATA} and the dataset's subdirectories of it, then the dataset's system directory; what
     * a matching directory holds is described on each dataset class. A directory given (or {@code
     * $MOGE_DATA}, when none is given) is the only place looked in: when it does not hold the data,
     * {@code prepare} fails listing what is missing rather than reading another copy.
     *
     * @param <T> the concrete builder
     */
    public abstract static class LocalBuilder<T extends LocalBuilder<T>> extends BaseBuilder<T> {

        Usage usage = Usage.TRAIN;
        Path dataDir;
        String envDataDir = System.getenv(FashionMnistDataset.ENV_DATA_DIR);
        Path systemDir;
        private final List<String> envSubdirs;

        /**
         * Creates a builder for the default locations of one dataset.
         *
         * @param systemDataDir the dataset's system directory
         * @param envSubdirs the subdirectories of {@code $MOGE_DATA} to try, in order ("" for
         *     {@code $MOGE_DATA} itself)
         */
        protected LocalBuilder(String systemDataDir, List<String> envSubdirs) {
            this.systemDir = Paths.get(systemDataDir);
            this.envSubdirs = List.copyOf(envSubdirs);
        }

        /**
         * Sets the split (default {@link Usage#TRAIN}); the dataset class says which splits it has
         * and what each reads.
         *
         * @param usage the split
         * @return this builder
         * @throws IllegalArgumentException for a split the dataset does not have
         */
        public T optUsage(Usage usage) {
            Objects.requireNonNull(usage, "usage");
            checkUsage(usage);
            this.usage = usage;
            return self();
        }

        /**
         * Refuses a split the dataset does not have; accepts every split unless overridden.
         *
         * @param usage the split, not null
         * @throws IllegalArgumentException for a split the dataset does not have
         */
        protected void checkUsage(Usage usage) {}

        /**
         * Sets a directory to search first, before {@code $MOGE_DATA} and the system directory.
         *
         * @param dataDir the directory
         * @return this builder
         */
        public T optDataDir(Path dataDir) {
            this.dataDir = dataDir;
            return self();
        }

        /** Replaces the value read from $MOGE_DATA (tests). */
        T envDataDir(String value) {
            this.envDataDir = value;
            return self();
        }

        /** Replaces the system directory; null skips it (tests). */
        T systemDir(Path dir) {
            this.systemDir = dir;
            return self();
        }

        /** The search over the directories set so far. */
        DataSearch search() {
            return new DataSearch(dataDir, envDataDir, envSubdirs, systemDir);
        }
    }
}
