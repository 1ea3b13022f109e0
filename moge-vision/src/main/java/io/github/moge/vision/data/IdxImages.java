package io.github.moge.vision.data;

/**
 * The content of an IDX image file: {@code count} images of {@code rows x cols} unsigned bytes,
 * stored row-major and image after image in one array.
 *
 * <p>The pixel array is shared, not copied (an MNIST-sized training set is 47 MB); callers must not
 * modify it.
 */
public final class IdxImages {

    private final String source;
    private final int count;
    private final int rows;
    private final int cols;
    private final byte[] pixels;

    /**
     * Creates an image set.
     *
     * @param source where the images came from (a file name), for error messages
     * @param count the number of images
     * @param rows the image height
     * @param cols the image width
     * @param pixels {@code count * rows * cols} unsigned bytes
     * @throws IllegalArgumentException if the array length does not match the dimensions
     */
    public IdxImages(String source, int count, int rows, int cols, byte[] pixels) {
        if ((long) count * rows * cols != pixels.length) {
            throw new IllegalArgumentException(
                    source
                            + ": "
                            + pixels.length
                            + " pixel bytes do not match "
                            + count
                            + " x "
                            + rows
                            + " x "
                            + cols);
        }
        this.source = source;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.pixels = pixels;
    }

    /**
     * Returns where the images came from.
     *
     * @return the source name (usually a file path)
     */
    public String getSource() {
        return source;
    }

    /**
     * Returns the number of images.
     *
     * @return the image count
     */
    public int getCount() {
        return count;
    }

    /**
     * Returns the image height in pixels.
     *
     * @return the number of rows
     */
    public int getRows() {
        return rows;
    }

    /**
     * Returns the image width in pixels.
     *
     * @return the number of columns
     */
    public int getCols() {
        return cols;
    }

    /**
     * Returns the pixels, {@code rows * cols} unsigned bytes per image, row-major. Not a copy.
     *
     * @return the pixel bytes (read as {@code b & 0xFF})
     */
    public byte[] getPixels() {
        return pixels;
    }
}
