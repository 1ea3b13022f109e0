package io.github.moge.vision.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Decodes an image file (JPEG, PNG, BMP, GIF: what {@link ImageIO} reads) into a fixed-size RGB
 * image as planar unsigned bytes, {@code [3, size, size]}.
 *
 * <p>An image that already is {@code size x size} is copied as is. Otherwise its shorter side is
 * resized (bilinear) to {@code resizeShorter} and the central {@code size x size} square is kept,
 * the usual evaluation preprocessing of ImageNet-style data (e.g. 256 then 224). Greyscale and
 * palette images become RGB (a grey sample v becomes (v, v, v), without Java's gamma conversion).
 */
public final class ImageDecoder {

    private final int size;
    private final int resizeShorter;

    /**
     * Creates a decoder.
     *
     * @param size the output side in pixels
     * @param resizeShorter the shorter side after resizing, {@code >= size}
     */
    public ImageDecoder(int size, int resizeShorter) {
        if (size < 1 || resizeShorter < size) {
            throw new IllegalArgumentException(
                    "need 1 <= size <= resizeShorter, got size "
                            + size
                            + ", resizeShorter "
                            + resizeShorter);
        }
        this.size = size;
        this.resizeShorter = resizeShorter;
    }

    /**
     * Returns the output side.
     *
     * @return the side in pixels
     */
    public int getSize() {
        return size;
    }

    /**
     * Decodes one file.
     *
     * @param file the image file
     * @return {@code 3 * size * size} bytes, the R, G and B planes, each row-major
     * @throws DataException if the file is missing or not a readable image; the message names it
     * @throws IOException if reading fails for another reason
     */
    public byte[] decode(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + ": no such image file");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new DataException(file + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new DataException(
                    file + ": not an image in a format Java can read (JPEG, PNG, BMP, GIF)");
        }
        return toPlanar(fit(toRgb(img)), size);
    }

    /**
     * Copies a single-band (greyscale) image into RGB by replicating its stored samples. Java's own
     * conversion ({@code getRGB}, {@code drawImage}) treats such images as linear grey and
     * gamma-encodes them, which would turn a stored 200 into about 229.
     */
    private static BufferedImage toRgb(BufferedImage img) {
        if (img.getRaster().getNumBands() != 1
                || img.getColorModel() instanceof java.awt.image.IndexColorModel) {
            return img;
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int bits = img.getColorModel().getComponentSize(0);
        int[] samples = img.getRaster().getSamples(0, 0, w, h, 0, (int[]) null);
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] packed = new int[samples.length];
        for (int i = 0; i < samples.length; i++) {
            int v = bits > 8 ? samples[i] >> (bits - 8) : samples[i];
            packed[i] = (v << 16) | (v << 8) | v;
        }
        rgb.setRGB(0, 0, w, h, packed, 0, w);
        return rgb;
    }

    private BufferedImage fit(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        if (w == size && h == size) {
            return img;
        }
        double scale = (double) resizeShorter / Math.min(w, h);
        int nw = Math.max(size, (int) Math.round(w * scale));
        int nh = Math.max(size, (int) Math.round(h * scale));
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            // Draw the resized image shifted so that its centre square lands on the output.
            g.drawImage(img, -(nw - size) / 2, -(nh - size) / 2, nw, nh, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static byte[] toPlanar(BufferedImage img, int size) {
        int plane = size * size;
        byte[] out = new byte[3 * plane];
        int[] argb = img.getRGB(0, 0, size, size, null, 0, size);
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            out[i] = (byte) (p >> 16);
            out[plane + i] = (byte) (p >> 8);
            out[2 * plane + i] = (byte) p;
        }
        return out;
    }
}
