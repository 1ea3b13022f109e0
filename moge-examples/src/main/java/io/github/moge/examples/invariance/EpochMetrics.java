package io.github.moge.examples.invariance;

/**
 * One row of {@code metrics.csv}: what one epoch of one model measured.
 *
 * @param epoch the epoch, from 1
 * @param model "MoE" or "MoGE"
 * @param trainLoss the mean total training loss (cross-entropy + lambda L_gs)
 * @param trainCrossEntropy the mean cross-entropy part
 * @param trainGroupSparse the mean weighted group-sparse part (lambda L_gs; 0 for MoE)
 * @param trainAccuracy training accuracy over the epoch (noisy routing, as trained)
 * @param testAccuracy test accuracy after the epoch
 * @param seconds wall time of the epoch's training steps (without the test pass)
 * @param imagesPerSecond training images per second
 * @param maxTokensPerExpert the largest number of test tokens one expert received in a batch of the
 *     training batch size (the dropless padding the experts run on)
 */
public record EpochMetrics(
        int epoch,
        String model,
        double trainLoss,
        double trainCrossEntropy,
        double trainGroupSparse,
        double trainAccuracy,
        double testAccuracy,
        double seconds,
        double imagesPerSecond,
        int maxTokensPerExpert) {}
