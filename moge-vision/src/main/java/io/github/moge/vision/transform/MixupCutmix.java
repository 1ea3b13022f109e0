package io.github.moge.vision.transform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;

/**
 * Batch-level mixup (Zhang et al., 2018) and CutMix (Yun et al., 2019) with soft labels, following
 * timm's batch mode: each image is paired with the image at the mirrored position of the batch
 * ({@code i} with {@code B - 1 - i}), and one mixing coefficient lambda ~ Beta(alpha, alpha) is
 * drawn per batch.
 *
 * <ul>
 *   <li>mixup: {@code x' = lambda x + (1 - lambda) x_pair};
 *   <li>CutMix: a box of side ratio {@code sqrt(1 - lambda)} centred at a uniform point (clipped at
 *       the border) is pasted from the paired image, and lambda becomes {@code 1 - box area / (H
 *       W)};
 *   <li>targets: {@code lambda t(y) + (1 - lambda) t(y_pair)}, where {@code t} is the one-hot
 *       vector smoothed by epsilon ({@code 1 - epsilon + epsilon / K} on the class, {@code epsilon
 *       / K} elsewhere).
 * </ul>
 *
 * When both are enabled, CutMix is chosen with probability {@code switchProbability}; the whole
 * operation happens with probability {@code probability} (otherwise lambda = 1: only smoothing).
 * Feed the targets to {@code SoftTargetCrossEntropyLoss}.
 */
public final class MixupCutmix implements Reseedable {

    private final float mixupAlpha;
    private final float cutmixAlpha;
    private final float switchProbability;
    private final float probability;
    private final float labelSmoothing;
    private final int numClasses;
    private final Random random;
    private float lastLambda = 1f;

    /**
     * Creates the transform.
     *
     * @param mixupAlpha Beta parameter for mixup, 0 disables mixup (timm/DeiT: 0.8)
     * @param cutmixAlpha Beta parameter for CutMix, 0 disables CutMix (timm/DeiT: 1.0)
     * @param switchProbability chance of CutMix when both are enabled (0.5)
     * @param probability chance that a batch is mixed at all (1.0)
     * @param labelSmoothing epsilon of the smoothed one-hot targets, in {@code [0, 1)}
     * @param numClasses the number of classes K
     * @param seed the seed of the lambda and box generator
     */
    public MixupCutmix(
            float mixupAlpha,
            float cutmixAlpha,
            float switchProbability,
            float probability,
            float labelSmoothing,
            int numClasses,
            long seed) {
        if (!(mixupAlpha >= 0 && cutmixAlpha >= 0)
                || !(switchProbability >= 0 && switchProbability <= 1)
                || !(probability >= 0 && probability <= 1)
                || !(labelSmoothing >= 0 && labelSmoothing < 1)
                || numClasses < 1) {
            throw new IllegalArgumentException("invalid mixup/cutmix settings");
        }
        this.mixupAlpha = mixupAlpha;
        this.cutmixAlpha = cutmixAlpha;
        this.switchProbability = switchProbability;
        this.probability = probability;
        this.labelSmoothing = labelSmoothing;
        this.numClasses = numClasses;
        this.random = new Random(seed);
    }

    /** {@inheritDoc} */
    @Override
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /**
     * Mixes a batch.
     *
     * @param images {@code [B, C, H, W]}
     * @param labels {@code [B]} class indices
     * @return (mixed images, soft targets {@code [B, K]})
     */
    public NDList apply(NDArray images, NDArray labels) {
        boolean enabled = (mixupAlpha > 0 || cutmixAlpha > 0) && random.nextFloat() < probability;
        if (!enabled) {
            lastLambda = 1f;
            return mixup(images, labels, 1f);
        }
        boolean cut =
                cutmixAlpha > 0 && (mixupAlpha == 0 || random.nextFloat() < switchProbability);
        float lambda = (float) BetaSampler.beta(random, cut ? cutmixAlpha : mixupAlpha);
        if (!cut) {
            lastLambda = lambda;
            return mixup(images, labels, lambda);
        }
        int h = (int) images.getShape().get(2);
        int w = (int) images.getShape().get(3);
        int[] box = cutmixBox(h, w, lambda, random.nextInt(h), random.nextInt(w));
        NDList out = cutmix(images, labels, box);
        lastLambda = 1f - (float) ((box[1] - box[0]) * (box[3] - box[2])) / (h * w);
        return out;
    }

    /**
     * Returns the lambda actually used by the last {@link #apply} (after CutMix's box correction).
     *
     * @return the weight of the original image's label
     */
    public float getLastLambda() {
        return lastLambda;
    }

    /**
     * Mixup with a given lambda (deterministic).
     *
     * @param images {@code [B, C, H, W]}
     * @param labels {@code [B]} class indices
     * @param lambda the weight of each image against its pair
     * @return (mixed images, soft targets)
     */
    public NDList mixup(NDArray images, NDArray labels, float lambda) {
        NDArray mixed =
                lambda == 1f ? images : images.mul(lambda).add(images.flip(0).mul(1f - lambda));
        return new NDList(mixed, targets(labels, lambda));
    }

    /**
     * CutMix with a given box (deterministic).
     *
     * @param images {@code [B, C, H, W]}
     * @param labels {@code [B]} class indices
     * @param box {@code {y0, y1, x0, x1}}, half-open, inside the image
     * @return (images with the box pasted from the pair, soft targets with lambda = 1 - box share)
     */
    public NDList cutmix(NDArray images, NDArray labels, int[] box) {
        int h = (int) images.getShape().get(2);
        int w = (int) images.getShape().get(3);
        float lambda = 1f - (float) ((box[1] - box[0]) * (box[3] - box[2])) / (h * w);
        NDManager m = images.getManager();
        NDArray rows = m.arange(0, h, 1, DataType.INT32);
        NDArray cols = m.arange(0, w, 1, DataType.INT32);
        NDArray inRows =
                rows.gte(box[0]).logicalAnd(rows.lt(box[1])).toType(images.getDataType(), false);
        NDArray inCols =
                cols.gte(box[2]).logicalAnd(cols.lt(box[3])).toType(images.getDataType(), false);
        NDArray mask = inRows.reshape(1, 1, h, 1).mul(inCols.reshape(1, 1, 1, w));
        NDArray mixed = images.add(images.flip(0).sub(images).mul(mask));
        return new NDList(mixed, targets(labels, lambda));
    }

    /**
     * The CutMix box for a lambda and a centre, as timm computes it: side ratio {@code sqrt(1 -
     * lambda)}, half-sides rounded down, clipped to the image.
     *
     * @param h image height
     * @param w image width
     * @param lambda the drawn lambda
     * @param cy the centre row
     * @param cx the centre column
     * @return {@code {y0, y1, x0, x1}}
     */
    public static int[] cutmixBox(int h, int w, float lambda, int cy, int cx) {
        double ratio = Math.sqrt(1 - lambda);
        int ch = (int) (h * ratio);
        int cw = (int) (w * ratio);
        int y0 = clamp(cy - ch / 2, h);
        int y1 = clamp(cy + ch / 2, h);
        int x0 = clamp(cx - cw / 2, w);
        int x1 = clamp(cx + cw / 2, w);
        return new int[] {y0, y1, x0, x1};
    }

    private static int clamp(int v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /**
     * The smoothed one-hot targets of class indices.
     *
     * @param labels {@code [B]} class indices
     * @return {@code [B, K]}
     */
    public NDArray smoothedOneHot(NDArray labels) {
        float off = labelSmoothing / numClasses;
        float on = 1f - labelSmoothing + off;
        // oneHot(depth, on, off, type) is not implemented on PyTorch in DJL 0.25.
        return labels.toType(DataType.INT64, false)
                .oneHot(numClasses, DataType.FLOAT32)
                .mul(on - off)
                .add(off);
    }

    private NDArray targets(NDArray labels, float lambda) {
        NDArray t = smoothedOneHot(labels);
        return lambda == 1f ? t : t.mul(lambda).add(t.flip(0).mul(1f - lambda));
    }

    /**
     * Returns the number of classes of the targets.
     *
     * @return K
     */
    public int getNumClasses() {
        return numClasses;
    }
}
