package io.github.moge.examples.invariance;

import java.util.List;

/**
 * What training and evaluating one model (MoE or MoGE) produced.
 *
 * @param model "MoE" or "MoGE"
 * @param testAccuracy final test accuracy
 * @param meanImed mean IMED distance d (not squared) between the routing maps of original and
 *     transformed test images, one value per transform of {@link
 *     io.github.moge.vision.transform.InvarianceTransforms#all()}, in that order
 * @param perImageImed each test image's d under each transform, [transform][image] in test-set
 *     order (the means are {@code meanImed}); MoE and MoGE score the same images, so the two pair
 * @param classMaps the mean routing map z of the test images of each class, [class][expert]
 * @param activeExperts how many experts receive at least one test image (top-1, no noise)
 * @param trainSeconds wall time of training (all epochs, without test passes)
 * @param evalSeconds wall time of the final evaluation (routing maps and 12 transforms)
 * @param steps optimizer steps taken
 * @param epochs per-epoch metrics
 */
public record ModelResult(
        String model,
        double testAccuracy,
        double[] meanImed,
        double[][] perImageImed,
        float[][] classMaps,
        int activeExperts,
        double trainSeconds,
        double evalSeconds,
        int steps,
        List<EpochMetrics> epochs) {}
