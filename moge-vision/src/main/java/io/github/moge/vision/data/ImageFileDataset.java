package io.github.moge.vision.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Base of the datasets whose examples are image files on disk with a class label each
 * (Tiny-ImageNet, ImageNet-style folders).
 *
 * <p>A subclass lists the files and labels in {@link #list()}; this class decodes them with an
 * {@link ImageDecoder} to a fixed {@code [3, size, size]} on access (a batch is decoded in
 * parallel), and can keep the decoded bytes in memory ({@code optCacheInMemory}) so that only the
 * first epoch pays for decoding. Records hold a float32 image in {@code [0, 1]} and the float32
 * label. A file that cannot be decoded raises an {@link UncheckedIOException} wrapping a {@link
 * DataException} that names it.
 */
public abstract class ImageFileDataset extends LocalImageDataset {

    /** The listing a subclass produces: files, labels and class names. */
    protected static final class Listing {
        final List<Path> files;
        final int[] labels;
        final List<String> classNames;
        final String source;

        /**
         * Creates a listing.
         *
         * @param files the image files
         * @param labels one class index per file
         * @param classNames the class names, indexed by label
         * @param source where the data was found, for messages
         */
        public Listing(List<Path> files, int[] labels, List<String> classNames, String source) {
            if (files.size() != labels.length) {
                throw new IllegalArgumentException("files and labels differ in length");
            }
            this.files = List.copyOf(files);
            this.labels = labels.clone();
            this.classNames = List.copyOf(classNames);
            this.source = source;
        }
    }

    private final ImageDecoder decoder;
    private final boolean cacheInMemory;
    private Listing listing;
    private byte[][] cache;

    /**
     * Creates the dataset from its builder.
     *
     * @param builder the builder
     */
    protected ImageFileDataset(FileBuilder<?> builder) {
        super(builder);
        int size = builder.imageSize;
        int resize = builder.resizeShorter > 0 ? builder.resizeShorter : size;
        this.decoder = new ImageDecoder(size, resize);
        this.cacheInMemory = builder.cacheInMemory;
    }

    /**
     * Lists the files and labels of the chosen split.
     *
     * @return the listing
     * @throws DataException if the data is missing or malformed
     * @throws IOException if listing fails for another reason
     */
    protected abstract Listing list() throws IOException;

    /**
     * Lists and validates the split.
     *
     * @param progress ignored
     * @throws DataException if the data is missing or malformed
     * @throws IOException if listing fails for another reason
     */
    @Override
    protected void prepareData(Progress progress) throws IOException {
        Listing l = list();
        if (l.files.isEmpty()) {
            throw new DataException(l.source + ": no images found");
        }
        if (cacheInMemory) {
            cache = new byte[l.files.size()][];
        }
        listing = l;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray getImages(NDManager manager, long[] indices) {
        checkPrepared();
        int size = decoder.getSize();
        int pixels = 3 * size * size;
        byte[] buf = new byte[indices.length * pixels];
        for (long index : indices) {
            checkIndex(index);
        }
        IntStream.range(0, indices.length)
                .parallel()
                .forEach(
                        i ->
                                System.arraycopy(
                                        pixels((int) indices[i]), 0, buf, i * pixels, pixels));
        return toFloatImages(manager, buf, new Shape(indices.length, 3, size, size));
    }

    private byte[] pixels(int index) {
        if (cache != null && cache[index] != null) {
            return cache[index];
        }
        byte[] px;
        try {
            px = decoder.decode(listing.files.get(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (cache != null) {
            cache[index] = px;
        }
        return px;
    }

    /** {@inheritDoc} */
    @Override
    public int getLabel(long index) {
        checkIndex(index);
        return listing.labels[(int) index];
    }

    /**
     * Returns the file of one example.
     *
     * @param index the example index
     * @return the image file
     */
    public Path getFile(long index) {
        checkIndex(index);
        return listing.files.get((int) index);
    }

    /** {@inheritDoc} Requires {@link #prepare()} first. */
    @Override
    public int getNumClasses() {
        checkPrepared();
        return listing.classNames.size();
    }

    /** {@inheritDoc} Requires {@link #prepare()} first. */
    @Override
    public List<String> getClassNames() {
        checkPrepared();
        return Collections.unmodifiableList(listing.classNames);
    }

    /** {@inheritDoc} */
    @Override
    public Shape getImageShape() {
        return new Shape(3, decoder.getSize(), decoder.getSize());
    }

    /**
     * Returns where the data was found.
     *
     * @return a directory description, or null before {@link #prepare()}
     */
    public String getSource() {
        return listing == null ? null : listing.source;
    }

    /** {@inheritDoc} Requires {@link #prepare()} first. */
    @Override
    protected long availableSize() {
        checkPrepared();
        return listing.files.size();
    }

    /**
     * Common builder settings of image-file datasets.
     *
     * @param <T> the concrete builder
     */
    public abstract static class FileBuilder<T extends FileBuilder<T>> extends LocalBuilder<T> {

        int imageSize;
        int resizeShorter;
        boolean cacheInMemory;

        /**
         * Creates a builder with a default output size.
         *
         * @param defaultSize the default image side
         * @param systemDataDir the dataset's system directory
         * @param envSubdirs the subdirectories of {@code $MOGE_DATA} to try, in order
         */
        protected FileBuilder(int defaultSize, String systemDataDir, List<String> envSubdirs) {
            super(systemDataDir, envSubdirs);
            this.imageSize = defaultSize;
        }

        /**
         * Sets the output image side; images of another size are resized and centre-cropped.
         *
         * @param size the side in pixels
         * @return this builder
         */
        public T optImageSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("image size must be positive, got " + size);
            }
            this.imageSize = size;
            return self();
        }

        /**
         * Sets the shorter side an image is resized to before the central crop (default: the image
         * size, i.e. no margin; ImageNet evaluation uses size * 8 / 7, e.g. 256 for 224).
         *
         * @param side the shorter side in pixels, at least the image size
         * @return this builder
         */
        public T optResizeShorter(int side) {
            this.resizeShorter = side;
            return self();
        }

        /**
         * Sets whether decoded images are kept in memory after their first use (default false).
         *
         * @param cache true to cache
         * @return this builder
         */
        public T optCacheInMemory(boolean cache) {
            this.cacheInMemory = cache;
            return self();
        }
    }
}
