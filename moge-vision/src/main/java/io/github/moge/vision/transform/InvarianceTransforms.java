package io.github.moge.vision.transform;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The twelve transforms of the routing-invariance evaluation (MoGE paper, Table 1): test images are
 * transformed and the routing maps of the original and transformed image are compared.
 *
 * <p>{@link #paper(long)} is the paper's protocol, torchvision's {@code RandomAffine} defaults with
 * the table's values as ranges ({@link RandomAffine}): the angle, shear and translation of every
 * image drawn uniformly within +- the value (translations in whole pixels), nearest interpolation,
 * fill 0, the scale a fixed factor, seeded. {@link #all()} is the fixed-maximum variant described
 * below (every image warped by exactly the value, bilinear), a useful extra but not the paper's
 * protocol.
 *
 * <table>
 *   <caption>Entries, in table order</caption>
 *   <tr><th>family</th><th>parameters</th><th>transform</th></tr>
 *   <tr><td>{@value #ROTATION}</td><td>5, 10, 15</td><td>rotation in degrees (positive =
 *       clockwise, torchvision {@code F.affine})</td></tr>
 *   <tr><td>{@value #SCALE}</td><td>0.5, 0.8, 1.1</td><td>scale about the centre</td></tr>
 *   <tr><td>{@value #TRANSLATION}</td><td>(0,0.1), (0.1,0), (0.1,0.1)</td><td>(a, b): a =
 *       horizontal shift as a fraction of the width (positive = right), b = vertical shift as a
 *       fraction of the height (positive = down), like torchvision's {@code translate=(tx,
 *       ty)}; 0.1 of 28 pixels is 2.8 pixels, applied exactly (bilinear), not rounded</td></tr>
 *   <tr><td>{@value #SHEAR}</td><td>5, 10, 15</td><td>shear parallel to the x axis in
 *       degrees</td></tr>
 * </table>
 *
 * <p>The paper gives magnitudes only; directions (rotation sense, shear sign) follow torchvision's
 * {@code F.affine} / {@code RandomAffine} with positive parameters, and every transform uses
 * bilinear interpolation with zero fill (see {@link AffineTransform}).
 */
public final class InvarianceTransforms {

    /** Family name of the rotations. */
    public static final String ROTATION = "rotation";

    /** Family name of the scalings. */
    public static final String SCALE = "scale";

    /** Family name of the translations. */
    public static final String TRANSLATION = "translation";

    /** Family name of the shears. */
    public static final String SHEAR = "shear";

    private static final List<Entry> TABLE_1 =
            List.of(
                    new Entry(ROTATION, "5", AffineTransform.builder().optRotation(5f).build()),
                    new Entry(ROTATION, "10", AffineTransform.builder().optRotation(10f).build()),
                    new Entry(ROTATION, "15", AffineTransform.builder().optRotation(15f).build()),
                    new Entry(SCALE, "0.5", AffineTransform.builder().optScale(0.5f).build()),
                    new Entry(SCALE, "0.8", AffineTransform.builder().optScale(0.8f).build()),
                    new Entry(SCALE, "1.1", AffineTransform.builder().optScale(1.1f).build()),
                    new Entry(
                            TRANSLATION,
                            "(0,0.1)",
                            AffineTransform.builder().optTranslate(0f, 0.1f).build()),
                    new Entry(
                            TRANSLATION,
                            "(0.1,0)",
                            AffineTransform.builder().optTranslate(0.1f, 0f).build()),
                    new Entry(
                            TRANSLATION,
                            "(0.1,0.1)",
                            AffineTransform.builder().optTranslate(0.1f, 0.1f).build()),
                    new Entry(SHEAR, "5", AffineTransform.builder().optShear(5f).build()),
                    new Entry(SHEAR, "10", AffineTransform.builder().optShear(10f).build()),
                    new Entry(SHEAR, "15", AffineTransform.builder().optShear(15f).build()));

    private static final float[] ANGLES = {5f, 10f, 15f};
    private static final float[] SCALES = {0.5f, 0.8f, 1.1f};
    private static final float[][] SHIFTS = {{0f, 0.1f}, {0.1f, 0f}, {0.1f, 0.1f}};

    private InvarianceTransforms() {}

    /**
     * Returns the twelve fixed-maximum transforms (bilinear) in the paper's table order.
     *
     * @return an immutable list of entries
     */
    public static List<Entry> all() {
        return TABLE_1;
    }

    /**
     * Returns the paper's twelve random transforms ({@code RandomAffine} with the table's values as
     * ranges, nearest interpolation), in table order, with the same names as {@link #all()}.
     *
     * @param seed the seed of the per-image draws (each entry gets its own stream)
     * @return an immutable list of entries
     */
    public static List<Entry> paper(long seed) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Entry fixed = TABLE_1.get(i);
            RandomAffine.Builder b = RandomAffine.builder().optSeed(seed * 31 + i);
            switch (fixed.getFamily()) {
                case ROTATION -> b.optDegrees(ANGLES[i % 3]);
                case SCALE -> b.optScale(SCALES[i % 3]);
                case TRANSLATION -> b.optTranslate(SHIFTS[i % 3][0], SHIFTS[i % 3][1]);
                default -> b.optShear(ANGLES[i % 3]);
            }
            out.add(new Entry(fixed.getFamily(), fixed.getParameter(), b.build()));
        }
        return List.copyOf(out);
    }

    /**
     * Returns the entries of one family, in table order.
     *
     * @param family {@value #ROTATION}, {@value #SCALE}, {@value #TRANSLATION} or {@value #SHEAR}
     * @return the three entries of that family
     * @throws IllegalArgumentException for an unknown family
     */
    public static List<Entry> family(String family) {
        List<Entry> out =
                TABLE_1.stream()
                        .filter(e -> e.getFamily().equals(family))
                        .collect(Collectors.toList());
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown transform family '"
                            + family
                            + "'; expected one of "
                            + ROTATION
                            + ", "
                            + SCALE
                            + ", "
                            + TRANSLATION
                            + ", "
                            + SHEAR);
        }
        return out;
    }

    /** One named transform: a family, a parameter label as the paper prints it, and the warp. */
    public static final class Entry {

        private final String family;
        private final String parameter;
        private final FlatImageWarp warp;

        Entry(String family, String parameter, FlatImageWarp warp) {
            this.family = Objects.requireNonNull(family);
            this.parameter = Objects.requireNonNull(parameter);
            this.warp = Objects.requireNonNull(warp);
        }

        /**
         * Returns the family.
         *
         * @return {@value #ROTATION}, {@value #SCALE}, {@value #TRANSLATION} or {@value #SHEAR}
         */
        public String getFamily() {
            return family;
        }

        /**
         * Returns the parameter label as the paper prints it, e.g. {@code "5"}, {@code "0.5"},
         * {@code "(0,0.1)"}.
         *
         * @return the label
         */
        public String getParameter() {
            return parameter;
        }

        /**
         * Returns family and parameter, e.g. {@code "rotation 5"} or {@code "translation (0.1,0)"}.
         *
         * @return the display name
         */
        public String getName() {
            return family + " " + parameter;
        }

        /**
         * Returns the fixed transform of a fixed-maximum entry ({@link #all()}).
         *
         * @return the affine warp
         * @throws IllegalStateException for a random entry ({@link #paper(long)}): use {@link
         *     #getWarp()}
         */
        public AffineTransform getTransform() {
            if (warp instanceof AffineTransform fixed) {
                return fixed;
            }
            throw new IllegalStateException(
                    getName() + " is drawn per image (" + warp + "): use getWarp()");
        }

        /**
         * Returns the warp, fixed or drawn per image.
         *
         * @return the warp
         */
        public FlatImageWarp getWarp() {
            return warp;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return getName();
        }
    }
}
