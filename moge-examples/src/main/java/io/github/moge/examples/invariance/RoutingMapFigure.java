package io.github.moge.examples.invariance;

import io.github.moge.core.TopographicMap;
import io.github.moge.vision.data.FashionMnistDataset;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws the per-class mean routing maps (the paper's Fig. 2 style): one row per model, one column
 * per class, every map on one shared linear colour scale, with class labels and a colour bar. Uses
 * only {@link BufferedImage} and {@link ImageIO}; it works headless ({@code
 * -Djava.awt.headless=true}).
 */
public final class RoutingMapFigure {

    /** Path of the figure inside the output directory. */
    public static final String FILE_NAME = "maps/routing-maps.png";

    private static final int CELL = 8;
    private static final int GAP = 12;
    private static final int LEFT = 70;
    private static final int TOP = 64;
    private static final int BAR_WIDTH = 18;
    private static final int RIGHT = 110;
    private static final int BOTTOM = 20;

    /** Viridis anchor colours, evenly spaced from 0 to 1. */
    private static final int[][] VIRIDIS = {
        {68, 1, 84}, {72, 40, 120}, {62, 74, 137}, {49, 104, 142}, {38, 130, 142},
        {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {181, 222, 43}, {253, 231, 37}
    };

    private RoutingMapFigure() {}

    /**
     * Renders the figure.
     *
     * @param results the models, one row each (e.g. MoE then MoGE); every class map has E values
     * @return the image
     */
    public static BufferedImage render(List<ModelResult> results) {
        int experts = results.get(0).classMaps()[0].length;
        TopographicMap map = TopographicMap.forExperts(experts);
        int classes = results.get(0).classMaps().length;
        int mapW = map.cols() * CELL;
        int mapH = map.rows() * CELL;
        int width = LEFT + classes * (mapW + GAP) + RIGHT;
        int height = TOP + results.size() * (mapH + GAP) + BOTTOM;
        float max = 0f;
        for (ModelResult r : results) {
            for (float[] m : r.classMaps()) {
                for (float v : m) {
                    max = Math.max(max, v);
                }
            }
        }
        if (!(max > 0f)) {
            max = 1f;
        }

        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(
                    "Mean routing map z of the test images of each class ("
                            + map.rows()
                            + " x "
                            + map.cols()
                            + " experts, shared colour scale)",
                    LEFT,
                    22);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (int c = 0; c < classes; c++) {
                String label =
                        c < FashionMnistDataset.CLASS_NAMES.size()
                                ? FashionMnistDataset.CLASS_NAMES.get(c)
                                : "class " + c;
                int x = LEFT + c * (mapW + GAP) + (mapW - fm.stringWidth(label)) / 2;
                g.drawString(label, x, TOP - 8);
            }
            for (int row = 0; row < results.size(); row++) {
                ModelResult r = results.get(row);
                int y0 = TOP + row * (mapH + GAP);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
                g.drawString(r.model(), 10, y0 + mapH / 2 + 5);
                for (int c = 0; c < classes; c++) {
                    int x0 = LEFT + c * (mapW + GAP);
                    float[] values = r.classMaps()[c];
                    for (int i = 0; i < map.rows(); i++) {
                        for (int j = 0; j < map.cols(); j++) {
                            g.setColor(colour(values[i * map.cols() + j] / max));
                            g.fillRect(x0 + j * CELL, y0 + i * CELL, CELL, CELL);
                        }
                    }
                    g.setColor(Color.GRAY);
                    g.setStroke(new BasicStroke(1f));
                    g.drawRect(x0 - 1, y0 - 1, mapW + 1, mapH + 1);
                }
            }
            // colour bar
            int barX = LEFT + classes * (mapW + GAP) + 8;
            int barTop = TOP;
            int barHeight = results.size() * (mapH + GAP) - GAP;
            for (int k = 0; k < barHeight; k++) {
                g.setColor(colour(1f - (float) k / (barHeight - 1)));
                g.fillRect(barX, barTop + k, BAR_WIDTH, 1);
            }
            g.setColor(Color.BLACK);
            g.drawRect(barX, barTop, BAR_WIDTH, barHeight);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (int t = 0; t <= 4; t++) {
                float value = max * (1f - t / 4f);
                int y = barTop + Math.round(t / 4f * (barHeight - 1));
                g.drawLine(barX + BAR_WIDTH, y, barX + BAR_WIDTH + 4, y);
                g.drawString(
                        String.format(Locale.ROOT, "%.3g", value), barX + BAR_WIDTH + 7, y + 4);
            }
            g.drawString("mean z", barX - 4, barTop - 8);
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders and writes the figure as PNG.
     *
     * @param file the PNG path (its directory must exist)
     * @param results the models, one row each
     * @throws IOException if writing fails
     */
    public static void write(Path file, List<ModelResult> results) throws IOException {
        BufferedImage image = render(results);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available for " + file);
        }
    }

    /** Viridis colour of a value in [0, 1] (clamped), linearly interpolated between anchors. */
    static Color colour(float value) {
        float v = Math.max(0f, Math.min(1f, Float.isNaN(value) ? 0f : value));
        float pos = v * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) pos);
        float f = pos - i;
        int[] a = VIRIDIS[i];
        int[] b = VIRIDIS[i + 1];
        return new Color(
                Math.round(a[0] + f * (b[0] - a[0])),
                Math.round(a[1] + f * (b[1] - a[1])),
                Math.round(a[2] + f * (b[2] - a[2])));
    }
}
