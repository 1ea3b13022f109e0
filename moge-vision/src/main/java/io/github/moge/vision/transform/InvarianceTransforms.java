package io.github.moge.vision.transform;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The twelve fixed transforms of the routing-invariance evaluation (MoGE paper, Table 1): test
 * images are transformed and the routing maps of the original and transformed image are
 * compared.
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
                    new Entry(TRANSLATION, "(0,0.1)",
                            AffineTransform.builder().optTranslate(0f, 0.1f).build()),
                    new Entry(TRANSLATION, "(0.1,0)",
                            AffineTransform.builder().optTranslate(0.1f, 0f).build()),
                    new Entry(TRANSLATION, "(0.1,0.1)",
                            AffineTransform.builder().optTranslate(0.1f, 0.1f).build()),
                    new Entry(SHEAR, "5", AffineTransform.builder().optShear(5f).build()),
                    new Entry(SHEAR, "10", AffineTransform.builder().optShear(10f).build()),
                    new Entry(SHEAR, "15", AffineTransform.builder().optShear(15f).build()));

    private InvarianceTransforms() {}

    /**
     * Returns the twelve transforms in the paper's table order.
     *
     * @return an immutable list of entries
     */
    public static List<Entry> all() {
        return TABLE_1;
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
                TABLE_1.stream().filter(e -> e.getFamily().equals(family)).collect(Collectors.toList());
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown transform family '" + family + "'; expected one of " + ROTATION + ", "
                            + SCALE + ", " + TRANSLATION + ", " + SHEAR);
        }
        return out;
    }

    /** One named transform: a family, a parameter label as the paper prints it, and the warp. */
    public static final class Entry {

        private final String family;
        private final String parameter;
        private final AffineTransform transform;

        Entry(String family, String parameter, AffineTransform transform) {
            this.family = Objects.requireNonNull(family);
            this.parameter = Objects.requireNonNull(parameter);
            this.transform = Objects.requireNonNull(transform);
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
         * Returns family and parameter, e.g. {@code "rotation 5"} or {@code "translation
         * (0.1,0)"}.
         *
         * @return the display name
         */
        public String getName() {
            return family + " " + parameter;
        }

        /**
         * Returns the transform.
         *
         * @return the affine warp
         */
        public AffineTransform getTransform() {
            return transform;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return getName();
        }
    }
}
