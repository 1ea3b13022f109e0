package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * timm's RandAugment ({@code timm.data.auto_augment.rand_augment_transform}) on batches, with PIL's
 * 8-bit semantics for every op. The reference's policy is {@code rand-m9-mstd0.5-inc1}: per image,
 * {@link Policy#getNumLayers() n} = 2 ops drawn uniformly with replacement from the 15 of {@link
 * Policy#ops()}, each applied with probability {@link Policy#getProbability() p} = 0.5 at a
 * magnitude drawn per application from N(9, 0.5^2) and clipped to [0, 10], turned into the op's
 * argument by its level function (with a random sign for the signed ones, see {@link Op}).
 *
 * <p>Images come as {@code [B, C, H, W]} in [0, 1] (C = 1 or 3) and are first quantised to 8-bit
 * levels {@code round(255 x)}, since timm's ops act on uint8 PIL images; the result is {@code
 * levels / 255}, on the batch's device. All draws come from one seeded host generator ({@link
 * #reseed(long)} restarts it). The ops are vectorised: for each layer the images are grouped by
 * their drawn op (the geometric ops share one group per resampling filter, each image with its own
 * affine matrix), each group is transformed with one set of NDArray operations, and the batch is
 * put back in order with one gather. Equalize alone counts its histograms on the host (see {@link
 * PilOps#equalize}).
 *
 * <p>Where timm uses it: {@code transforms_imagenet_train} applies RandAugment after the
 * random-resized crop (or the random crop with padding of small images) and the flip, before colour
 * jitter, ToTensor, normalisation and random erasing. timm then leaves colour jitter out unless
 * forced: with RandAugment on, its {@code color_jitter} argument has no effect.
 *
 * <p>Parameters timm takes from {@code hparams}: the fill colour of the geometric ops ({@code
 * img_mean}, {@code round(255 mean)} of the normalisation mean in {@code create_transform}, 128
 * when none is given), the resampling filter ({@code interpolation}: a fixed one, or bilinear or
 * bicubic at random per op call when the training interpolation is {@code random}, timm's train.py
 * default) and translate_pct 0.45.
 *
 * <p>Its length is timm's op set (21 ops with their level functions), the policy parser and the
 * batched plan, kept together as timm keeps them in one module.
 */
public final class RandAugment implements Reseedable {

    /** timm's {@code _LEVEL_DENOM}: magnitude 10 is an op's full strength. */
    static final double LEVEL_DENOM = 10.0;

    private static final double TRANSLATE_PCT = 0.45;

    /** The resampling filter of the geometric ops (timm's {@code interpolation} hparam). */
    public enum Interpolation {
        /** PIL bilinear. */
        BILINEAR,
        /** PIL bicubic (a = -1); what configs passing {@code interpolation='bicubic'} get. */
        BICUBIC,
        /** Bilinear or bicubic with equal chance per op application (timm's {@code random}). */
        RANDOM
    }

    /**
     * The ops with timm's names and level functions (m = the sampled magnitude, level = m / 10).
     */
    public enum Op {
        /** {@code ImageOps.autocontrast}; no argument. */
        AUTO_CONTRAST("AutoContrast", false),
        /** {@code ImageOps.equalize}; no argument. */
        EQUALIZE("Equalize", false),
        /** {@code ImageOps.invert}; no argument. */
        INVERT("Invert", false),
        /** {@code Image.rotate}: +-30 level degrees, counter-clockwise for positive. */
        ROTATE("Rotate", true),
        /** Keep {@code int(4 level)} bits (severity falls with m). */
        POSTERIZE("Posterize", false),
        /** Keep {@code 4 - int(4 level)} bits. */
        POSTERIZE_INCREASING("PosterizeIncreasing", false),
        /** Threshold {@code min(256, int(256 level))}. */
        SOLARIZE("Solarize", false),
        /** Threshold {@code 256 - min(256, int(256 level))}. */
        SOLARIZE_INCREASING("SolarizeIncreasing", false),
        /** Add {@code min(128, int(110 level))} below 128. */
        SOLARIZE_ADD("SolarizeAdd", false),
        /** {@code ImageEnhance.Color}, factor {@code 1.8 level + 0.1}. */
        COLOR("Color", false),
        /** {@code ImageEnhance.Color}, factor {@code max(0.1, 1 +- 0.9 level)}. */
        COLOR_INCREASING("ColorIncreasing", true),
        /** {@code ImageEnhance.Contrast}, factor {@code 1.8 level + 0.1}. */
        CONTRAST("Contrast", false),
        /** {@code ImageEnhance.Contrast}, factor {@code max(0.1, 1 +- 0.9 level)}. */
        CONTRAST_INCREASING("ContrastIncreasing", true),
        /** {@code ImageEnhance.Brightness}, factor {@code 1.8 level + 0.1}. */
        BRIGHTNESS("Brightness", false),
        /** {@code ImageEnhance.Brightness}, factor {@code max(0.1, 1 +- 0.9 level)}. */
        BRIGHTNESS_INCREASING("BrightnessIncreasing", true),
        /** {@code ImageEnhance.Sharpness}, factor {@code 1.8 level + 0.1}. */
        SHARPNESS("Sharpness", false),
        /** {@code ImageEnhance.Sharpness}, factor {@code max(0.1, 1 +- 0.9 level)}. */
        SHARPNESS_INCREASING("SharpnessIncreasing", true),
        /** Affine (1, f, 0, 0, 1, 0), f = +-0.3 level (about the top-left corner, as PIL). */
        SHEAR_X("ShearX", true),
        /** Affine (1, 0, 0, f, 1, 0), f = +-0.3 level. */
        SHEAR_Y("ShearY", true),
        /** Affine (1, 0, t W, 0, 1, 0), t = +-0.45 level (positive moves the content left). */
        TRANSLATE_X_REL("TranslateXRel", true),
        /** Affine (1, 0, 0, 0, 1, t H), t = +-0.45 level (positive moves the content up). */
        TRANSLATE_Y_REL("TranslateYRel", true);

        private final String timmName;
        private final boolean signed;

        Op(String timmName, boolean signed) {
            this.timmName = timmName;
            this.signed = signed;
        }

        /**
         * Returns timm's name of the op.
         *
         * @return e.g. {@code SolarizeIncreasing}
         */
        public String timmName() {
            return timmName;
        }

        /**
         * Returns whether the level function flips the sign with probability 1/2 (timm's {@code
         * _randomly_negate}).
         *
         * @return true for Rotate, the increasing enhancements, shears and translations
         */
        public boolean isSigned() {
            return signed;
        }

        /**
         * Returns whether the op resamples the image (and so uses the fill and the filter).
         *
         * @return true for Rotate, shears and translations
         */
        public boolean isGeometric() {
            return this == ROTATE
                    || this == SHEAR_X
                    || this == SHEAR_Y
                    || this == TRANSLATE_X_REL
                    || this == TRANSLATE_Y_REL;
        }

        /**
         * timm's level function: the op's argument at a magnitude (NaN for ops without one).
         *
         * @param magnitude the sampled, clipped magnitude
         * @param negate the sign draw (used by signed ops only)
         * @return degrees, bits, threshold, addend, enhancement factor, shear factor or translation
         *     fraction
         */
        public double argument(double magnitude, boolean negate) {
            double level = magnitude / LEVEL_DENOM;
            double sign = signed && negate ? -1 : 1;
            switch (this) {
                case ROTATE:
                    return sign * (level * 30.0);
                case POSTERIZE:
                    return (int) (level * 4);
                case POSTERIZE_INCREASING:
                    return 4 - (int) (level * 4);
                case SOLARIZE:
                    return Math.min(256, (int) (level * 256));
                case SOLARIZE_INCREASING:
                    return 256 - Math.min(256, (int) (level * 256));
                case SOLARIZE_ADD:
                    return Math.min(128, (int) (level * 110));
                case COLOR:
                case CONTRAST:
                case BRIGHTNESS:
                case SHARPNESS:
                    return level * 1.8 + 0.1;
                case COLOR_INCREASING:
                case CONTRAST_INCREASING:
                case BRIGHTNESS_INCREASING:
                case SHARPNESS_INCREASING:
                    return Math.max(0.1, 1.0 + sign * (level * 0.9));
                case SHEAR_X:
                case SHEAR_Y:
                    return sign * (level * 0.3);
                case TRANSLATE_X_REL:
                case TRANSLATE_Y_REL:
                    return sign * (level * TRANSLATE_PCT);
                default:
                    return Double.NaN;
            }
        }
    }

    /**
     * A RandAugment configuration as timm's spec string gives it: {@code rand} followed by
     * dash-separated sections {@code m<int>} (magnitude, default 10), {@code n<int>} (ops per
     * image, 2), {@code p<float>} (probability of each op, 0.5), {@code mstd<float>} (magnitude
     * noise std, 0; above 100 the magnitude is uniform in [0, m]), {@code mmax<int>} (upper clip of
     * the magnitude, 10) and {@code inc<0|1>} (the increasing-severity op set). Unknown sections
     * are refused.
     */
    public static final class Policy {

        /** The reference's policy string. */
        public static final String REFERENCE = "rand-m9-mstd0.5-inc1";

        private static final Pattern SECTION = Pattern.compile("([a-z]+)(\\d.*)");

        private final int magnitude;
        private final int numLayers;
        private final double probability;
        private final double magnitudeStd;
        private final int magnitudeMax;
        private final boolean increasing;

        private Policy(
                int magnitude,
                int numLayers,
                double probability,
                double magnitudeStd,
                int magnitudeMax,
                boolean increasing) {
            this.magnitude = magnitude;
            this.numLayers = numLayers;
            this.probability = probability;
            this.magnitudeStd = magnitudeStd;
            this.magnitudeMax = magnitudeMax;
            this.increasing = increasing;
        }

        /**
         * Parses a timm RandAugment spec such as {@code rand-m9-mstd0.5-inc1}.
         *
         * <p>timm also reads {@code inc0} as increasing ({@code bool("0")} is true in Python) and
         * skips sections without a digit; here {@code inc0} selects the plain set and such sections
         * are errors. timm's {@code t} (weighted op sets) and {@code w} sections are not supported.
         *
         * @param spec the spec
         * @return the policy
         * @throws IllegalArgumentException for anything else than the sections above
         */
        public static Policy parse(String spec) {
            if (spec == null || spec.isBlank()) {
                throw new IllegalArgumentException(
                        "empty RandAugment spec (expected e.g. " + REFERENCE + ")");
            }
            String[] parts = spec.trim().split("-");
            if (!parts[0].equals("rand")) {
                throw new IllegalArgumentException(
                        "a RandAugment spec starts with 'rand', got '"
                                + spec
                                + "' (e.g. "
                                + REFERENCE
                                + ")");
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 1; i < parts.length; i++) {
                Matcher mt = SECTION.matcher(parts[i]);
                if (!mt.matches()
                        || !List.of("m", "n", "p", "mstd", "mmax", "inc").contains(mt.group(1))) {
                    throw new IllegalArgumentException(
                            "unknown RandAugment spec section '"
                                    + parts[i]
                                    + "' in '"
                                    + spec
                                    + "': the sections are m<int> (magnitude), n<int> (ops per"
                                    + " image), p<float> (probability), mstd<float> (magnitude"
                                    + " std), mmax<int> (magnitude clip), inc<0|1> (increasing"
                                    + " ops)");
                }
                if (values.put(mt.group(1), mt.group(2)) != null) {
                    throw new IllegalArgumentException(
                            "RandAugment spec '" + spec + "' sets " + mt.group(1) + " twice");
                }
            }
            try {
                int m = Integer.parseInt(values.getOrDefault("m", "10"));
                int n = Integer.parseInt(values.getOrDefault("n", "2"));
                double p = Double.parseDouble(values.getOrDefault("p", "0.5"));
                double std = Double.parseDouble(values.getOrDefault("mstd", "0"));
                int mmax = Integer.parseInt(values.getOrDefault("mmax", "10"));
                int inc = Integer.parseInt(values.getOrDefault("inc", "0"));
                if (inc != 0 && inc != 1) {
                    throw new IllegalArgumentException(
                            "inc must be 0 or 1 in RandAugment spec '" + spec + "'");
                }
                return of(m, n, p, std > 100 ? Double.POSITIVE_INFINITY : std, mmax, inc == 1);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "bad number in RandAugment spec '" + spec + "': " + e.getMessage(), e);
            }
        }

        /**
         * Creates a policy from its values.
         *
         * @param magnitude m, at least 0
         * @param numLayers ops per image, at least 0
         * @param probability of each op, in [0, 1]
         * @param magnitudeStd std of the magnitude noise, at least 0 (infinite: uniform in [0, m])
         * @param magnitudeMax upper clip of the magnitude, at least 1
         * @param increasing the increasing-severity op set
         * @return the policy
         */
        public static Policy of(
                int magnitude,
                int numLayers,
                double probability,
                double magnitudeStd,
                int magnitudeMax,
                boolean increasing) {
            if (magnitude < 0
                    || numLayers < 0
                    || !(probability >= 0 && probability <= 1)
                    || !(magnitudeStd >= 0)
                    || magnitudeMax < 1) {
                throw new IllegalArgumentException(
                        String.format(
                                Locale.ROOT,
                                "invalid RandAugment policy: m %d (>= 0), n %d (>= 0), p %s (in [0,"
                                        + " 1]), mstd %s (>= 0), mmax %d (>= 1)",
                                magnitude,
                                numLayers,
                                probability,
                                magnitudeStd,
                                magnitudeMax));
            }
            return new Policy(
                    magnitude, numLayers, probability, magnitudeStd, magnitudeMax, increasing);
        }

        /**
         * Returns the op set in timm's order ({@code _RAND_INCREASING_TRANSFORMS} or {@code
         * _RAND_TRANSFORMS}).
         *
         * @return 15 ops
         */
        public List<Op> ops() {
            return increasing
                    ? List.of(
                            Op.AUTO_CONTRAST,
                            Op.EQUALIZE,
                            Op.INVERT,
                            Op.ROTATE,
                            Op.POSTERIZE_INCREASING,
                            Op.SOLARIZE_INCREASING,
                            Op.SOLARIZE_ADD,
                            Op.COLOR_INCREASING,
                            Op.CONTRAST_INCREASING,
                            Op.BRIGHTNESS_INCREASING,
                            Op.SHARPNESS_INCREASING,
                            Op.SHEAR_X,
                            Op.SHEAR_Y,
                            Op.TRANSLATE_X_REL,
                            Op.TRANSLATE_Y_REL)
                    : List.of(
                            Op.AUTO_CONTRAST,
                            Op.EQUALIZE,
                            Op.INVERT,
                            Op.ROTATE,
                            Op.POSTERIZE,
                            Op.SOLARIZE,
                            Op.SOLARIZE_ADD,
                            Op.COLOR,
                            Op.CONTRAST,
                            Op.BRIGHTNESS,
                            Op.SHARPNESS,
                            Op.SHEAR_X,
                            Op.SHEAR_Y,
                            Op.TRANSLATE_X_REL,
                            Op.TRANSLATE_Y_REL);
        }

        /**
         * Returns the magnitude m.
         *
         * @return m
         */
        public int getMagnitude() {
            return magnitude;
        }

        /**
         * Returns the number of ops per image.
         *
         * @return n
         */
        public int getNumLayers() {
            return numLayers;
        }

        /**
         * Returns the probability of applying each drawn op.
         *
         * @return p
         */
        public double getProbability() {
            return probability;
        }

        /**
         * Returns the std of the magnitude noise.
         *
         * @return mstd (infinite: uniform sampling)
         */
        public double getMagnitudeStd() {
            return magnitudeStd;
        }

        /**
         * Returns the upper clip of the sampled magnitude.
         *
         * @return mmax
         */
        public int getMagnitudeMax() {
            return magnitudeMax;
        }

        /**
         * Returns whether the increasing-severity op set is used.
         *
         * @return inc
         */
        public boolean isIncreasing() {
            return increasing;
        }

        /**
         * Returns the spec, every section written out, e.g. {@code
         * rand-m9-n2-p0.5-mstd0.5-mmax10-inc1}.
         */
        @Override
        public String toString() {
            String std = Double.isInfinite(magnitudeStd) ? "101" : trim(magnitudeStd);
            return "rand-m"
                    + magnitude
                    + "-n"
                    + numLayers
                    + "-p"
                    + trim(probability)
                    + "-mstd"
                    + std
                    + "-mmax"
                    + magnitudeMax
                    + "-inc"
                    + (increasing ? 1 : 0);
        }

        private static String trim(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }

        /** {@inheritDoc} */
        @Override
        public boolean equals(Object o) {
            return o instanceof Policy && toString().equals(o.toString());
        }

        /** {@inheritDoc} */
        @Override
        public int hashCode() {
            return toString().hashCode();
        }
    }

    /**
     * The draws of one batch: per layer and image the op (null when skipped), its argument and
     * filter.
     */
    static final class Plan {
        final Op[][] ops;
        final double[][] arguments;
        final boolean[][] bicubic;

        Plan(int layers, int batch) {
            ops = new Op[layers][batch];
            arguments = new double[layers][batch];
            bicubic = new boolean[layers][batch];
        }
    }

    private final Policy policy;
    private final List<Op> ops;
    private final Interpolation interpolation;
    private final int[] fill;
    private final Random random;

    /**
     * Creates the transform.
     *
     * @param policy the policy
     * @param interpolation the filter of the geometric ops
     * @param fill the fill level 0..255 of the geometric ops: one value, or one per channel
     * @param seed the seed of the host generator
     */
    public RandAugment(Policy policy, Interpolation interpolation, int[] fill, long seed) {
        if (policy == null || interpolation == null || fill == null || fill.length == 0) {
            throw new IllegalArgumentException(
                    "RandAugment needs a policy, an interpolation and a fill");
        }
        for (int f : fill) {
            if (f < 0 || f > 255) {
                throw new IllegalArgumentException(
                        "fill levels must be in 0..255, got " + Arrays.toString(fill));
            }
        }
        this.policy = policy;
        this.ops = policy.ops();
        this.interpolation = interpolation;
        this.fill = fill.clone();
        this.random = new Random(seed);
    }

    /** {@inheritDoc} */
    @Override
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /**
     * Returns the policy.
     *
     * @return the policy
     */
    public Policy getPolicy() {
        return policy;
    }

    /**
     * Augments a batch.
     *
     * @param images {@code [B, C, H, W]} (or one {@code [C, H, W]}) in [0, 1], C = 1 or 3
     * @return the augmented images, quantised to multiples of 1/255, same shape and device
     */
    public NDArray apply(NDArray images) {
        NDArray x = BatchShapes.asBatch(images, "RandAugment");
        return BatchShapes.restore(apply(x, plan(Math.toIntExact(x.getShape().get(0)))), images);
    }

    /** Draws the ops of a batch, image by image, in timm's order of draws within an op call. */
    Plan plan(int batch) {
        int layers = policy.getNumLayers();
        Plan plan = new Plan(layers, batch);
        double p = policy.getProbability();
        for (int i = 0; i < batch; i++) {
            for (int l = 0; l < layers; l++) {
                Op op = ops.get(random.nextInt(ops.size()));
                if (p < 1.0 && random.nextDouble() > p) {
                    continue;
                }
                plan.ops[l][i] = op;
                plan.arguments[l][i] = drawArgument(op);
                plan.bicubic[l][i] = op.isGeometric() && drawBicubic();
            }
        }
        return plan;
    }

    /** Draws a magnitude and, for signed ops, a sign, and returns the op's argument. */
    double drawArgument(Op op) {
        double magnitude = drawMagnitude();
        boolean negate = op.isSigned() && random.nextDouble() > 0.5;
        return op.argument(magnitude, negate);
    }

    /** The magnitude of one op application: m, or N(m, mstd^2) / U(0, m), clipped to [0, mmax]. */
    double drawMagnitude() {
        double m = policy.getMagnitude();
        double std = policy.getMagnitudeStd();
        if (std > 0) {
            m = Double.isInfinite(std) ? m * random.nextDouble() : m + std * random.nextGaussian();
        }
        return Math.max(0.0, Math.min(m, policy.getMagnitudeMax()));
    }

    private boolean drawBicubic() {
        if (interpolation == Interpolation.RANDOM) {
            return random.nextBoolean();
        }
        return interpolation == Interpolation.BICUBIC;
    }

    /** Applies a drawn plan to a batch [B, C, H, W] in [0, 1]. */
    NDArray apply(NDArray images, Plan plan) {
        int batch = Math.toIntExact(images.getShape().get(0));
        int channels = Math.toIntExact(images.getShape().get(1));
        float[] fillLevels = fillFor(channels);
        NDManager parent = images.getManager();
        try (NDManager scope = parent.newSubManager(images.getDevice())) {
            images.tempAttach(scope);
            NDArray x = images.mul(255f).round().clip(0f, 255f);
            for (int l = 0; l < plan.ops.length; l++) {
                x =
                        applyLayer(
                                x,
                                plan.ops[l],
                                plan.arguments[l],
                                plan.bicubic[l],
                                fillLevels,
                                batch);
            }
            NDArray result = x.div(255f).toType(images.getDataType(), false);
            result.attach(parent);
            return result;
        }
    }

    private NDArray applyLayer(
            NDArray x,
            Op[] layerOps,
            double[] args,
            boolean[] bicubic,
            float[] fillLevels,
            int batch) {
        // Group the images by (op, filter); untouched images form their own group.
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        List<Integer> untouched = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            if (layerOps[i] == null) {
                untouched.add(i);
            } else {
                // The geometric ops share one resampler, so they form one group per filter.
                String key = layerOps[i].isGeometric() ? "affine" : layerOps[i].name();
                groups.computeIfAbsent(key + (bicubic[i] ? "/bicubic" : ""), k -> new ArrayList<>())
                        .add(i);
            }
        }
        if (groups.isEmpty()) {
            return x;
        }
        long[] order = new long[batch];
        int at = 0;
        NDList parts = new NDList();
        if (!untouched.isEmpty()) {
            at = take(untouched, order, at);
            parts.add(select(x, untouched));
        }
        for (List<Integer> g : groups.values()) {
            int first = g.get(0);
            double[] a = new double[g.size()];
            Op[] o = new Op[g.size()];
            for (int k = 0; k < a.length; k++) {
                a[k] = args[g.get(k)];
                o[k] = layerOps[g.get(k)];
            }
            at = take(g, order, at);
            NDArray sub = select(x, g);
            parts.add(
                    o[0].isGeometric()
                            ? applyGeometric(sub, o, a, bicubic[first], fillLevels)
                            : applyOp(sub, o[0], a, bicubic[first], fillLevels));
        }
        long[] inverse = new long[batch];
        for (int j = 0; j < batch; j++) {
            inverse[(int) order[j]] = j;
        }
        NDArray joined = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
        return joined.get(new NDIndex("{}", x.getManager().create(inverse)));
    }

    private static int take(List<Integer> images, long[] order, int at) {
        for (int i : images) {
            order[at++] = i;
        }
        return at;
    }

    private static NDArray select(NDArray x, List<Integer> images) {
        long[] idx = new long[images.size()];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = images.get(k);
        }
        return x.get(new NDIndex("{}", x.getManager().create(idx)));
    }

    /**
     * Applies one op with given per-image arguments to 8-bit levels (deterministic).
     *
     * @param levels {@code [n, C, H, W]} float32 integers 0..255
     * @param op the op
     * @param args n arguments as {@link Op#argument} returns them (ignored for argument-free ops)
     * @param bicubic the filter of geometric ops (else bilinear)
     * @param fill the fill level per channel
     * @return the transformed levels
     */
    static NDArray applyOp(NDArray levels, Op op, double[] args, boolean bicubic, float[] fill) {
        int n = Math.toIntExact(levels.getShape().get(0));
        switch (op) {
            case AUTO_CONTRAST:
                return PilOps.autoContrast(levels);
            case EQUALIZE:
                return PilOps.equalize(levels);
            case INVERT:
                return PilOps.invert(levels);
            case POSTERIZE:
            case POSTERIZE_INCREASING:
                return PilOps.posterize(levels, ints(args));
            case SOLARIZE:
            case SOLARIZE_INCREASING:
                return PilOps.solarize(levels, ints(args));
            case SOLARIZE_ADD:
                return PilOps.solarizeAdd(levels, ints(args));
            case COLOR:
            case COLOR_INCREASING:
                return PilOps.color(levels, floats(args));
            case CONTRAST:
            case CONTRAST_INCREASING:
                return PilOps.contrast(levels, floats(args));
            case BRIGHTNESS:
            case BRIGHTNESS_INCREASING:
                return PilOps.brightness(levels, floats(args));
            case SHARPNESS:
            case SHARPNESS_INCREASING:
                return PilOps.sharpness(levels, floats(args));
            default:
                Op[] same = new Op[n];
                Arrays.fill(same, op);
                return applyGeometric(levels, same, args, bicubic, fill);
        }
    }

    /**
     * Applies geometric ops, one per image, with one resampling pass (each image's affine matrix).
     *
     * @param levels {@code [n, C, H, W]} float32 integers 0..255
     * @param ops n geometric ops
     * @param args their arguments
     * @param bicubic the filter (else bilinear)
     * @param fill the fill level per channel
     * @return the transformed levels
     */
    static NDArray applyGeometric(
            NDArray levels, Op[] ops, double[] args, boolean bicubic, float[] fill) {
        int n = Math.toIntExact(levels.getShape().get(0));
        int h = Math.toIntExact(levels.getShape().get(2));
        int w = Math.toIntExact(levels.getShape().get(3));
        double[] matrices = new double[6 * n];
        for (int i = 0; i < n; i++) {
            double[] mt;
            switch (ops[i]) {
                case ROTATE:
                    mt = PilOps.rotateMatrix(args[i], w, h);
                    break;
                case SHEAR_X:
                    mt = new double[] {1, args[i], 0, 0, 1, 0};
                    break;
                case SHEAR_Y:
                    mt = new double[] {1, 0, 0, args[i], 1, 0};
                    break;
                case TRANSLATE_X_REL:
                    mt = new double[] {1, 0, args[i] * w, 0, 1, 0};
                    break;
                case TRANSLATE_Y_REL:
                    mt = new double[] {1, 0, 0, 0, 1, args[i] * h};
                    break;
                default:
                    throw new IllegalArgumentException(ops[i] + " is not a geometric op");
            }
            System.arraycopy(mt, 0, matrices, 6 * i, 6);
        }
        return PilOps.affine(levels, matrices, bicubic, fill);
    }

    private float[] fillFor(int channels) {
        if (fill.length != 1 && fill.length != channels) {
            throw new IllegalArgumentException(
                    "RandAugment fill "
                            + Arrays.toString(fill)
                            + " has neither 1 nor "
                            + channels
                            + " values");
        }
        float[] f = new float[channels];
        for (int c = 0; c < channels; c++) {
            f[c] = fill[fill.length == 1 ? 0 : c];
        }
        return f;
    }

    /**
     * timm's fill from a normalisation mean ({@code create_transform}'s {@code img_mean}): {@code
     * min(255, round(255 mean_c))} with Python's half-to-even rounding; 128 per channel without a
     * mean.
     *
     * @param mean the channel means in [0, 1], or null
     * @return the fill levels
     */
    public static int[] fillFromMean(float[] mean) {
        if (mean == null) {
            return new int[] {128};
        }
        int[] f = new int[mean.length];
        for (int c = 0; c < mean.length; c++) {
            f[c] = (int) Math.min(255, Math.max(0, Math.rint(255 * (double) mean[c])));
        }
        return f;
    }

    private static int[] ints(double[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    private static float[] floats(double[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (float) v[i];
        }
        return r;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "RandAugment("
                + policy
                + ", "
                + interpolation.name().toLowerCase(Locale.ROOT)
                + ", fill "
                + Arrays.toString(fill)
                + ")";
    }
}
