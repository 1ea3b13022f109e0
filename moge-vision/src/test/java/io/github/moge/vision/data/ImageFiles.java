package io.github.moge.vision.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Writes small real image files for tests. */
final class ImageFiles {

    private ImageFiles() {}

    /** A solid-colour RGB image. */
    static void solid(Path file, int w, int h, int rgb, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        write(file, img, format);
    }

    /** An RGB image whose pixel (x, y) is (x, y, x + y) scaled by 3. */
    static void ramp(Path file, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (3 * x << 16) | (3 * y << 8) | (3 * (x + y)));
            }
        }
        write(file, img, "png");
    }

    /** A greyscale image of one level. */
    static void grey(Path file, int w, int h, int level, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, level);
            }
        }
        write(file, img, format);
    }

    private static void write(Path file, BufferedImage img, String format) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, format, file.toFile())) {
            throw new IOException("no ImageIO writer for " + format);
        }
    }
}
