package io.github.moge.vision.train;

import java.util.Locale;

/**
 * What one training epoch measured: the mean training loss and its components (cross-entropy,
 * weighted balancing loss, weighted group-sparse loss), the mean gradient norm before clipping, the
 * learning rate at the end of the epoch, test Acc@1 and Acc@5, throughput and duration.
 */
public final class EpochMetrics {

    /** The CSV header matching {@link #toCsv()}. */
    public static final String CSV_HEADER =
            "epoch,train_loss,train_ce,train_balance,train_group_sparse,grad_norm,lr,test_acc1,test_acc5,"
                    + "train_images_per_s,epoch_seconds";

    private final int epoch;
    private final double loss;
    private final double ce;
    private final double balance;
    private final double groupSparse;
    private final double gradNorm;
    private final double learningRate;
    private final double acc1;
    private final double acc5;
    private final double imagesPerSecond;
    private final double seconds;

    /**
     * Creates the record.
     *
     * @param epoch the epoch, from 1
     * @param loss mean total training loss
     * @param ce mean cross-entropy
     * @param balance mean weighted balancing loss
     * @param groupSparse mean weighted group-sparse loss
     * @param gradNorm mean global gradient norm before clipping
     * @param learningRate learning rate of the last step
     * @param acc1 test top-1 accuracy
     * @param acc5 test top-5 accuracy
     * @param imagesPerSecond training throughput
     * @param seconds wall time of the epoch including evaluation
     */
    public EpochMetrics(int epoch, double loss, double ce, double balance, double groupSparse, double gradNorm,
            double learningRate, double acc1, double acc5, double imagesPerSecond, double seconds) {
        this.epoch = epoch;
        this.loss = loss;
        this.ce = ce;
        this.balance = balance;
        this.groupSparse = groupSparse;
        this.gradNorm = gradNorm;
        this.learningRate = learningRate;
        this.acc1 = acc1;
        this.acc5 = acc5;
        this.imagesPerSecond = imagesPerSecond;
        this.seconds = seconds;
    }

    /**
     * Formats the record as one CSV line (no newline).
     *
     * @return the line, columns as in {@link #CSV_HEADER}
     */
    public String toCsv() {
        return String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6g,%.6g,%.4f,%.6g,%.4f,%.4f,%.1f,%.2f",
                epoch, loss, ce, balance, groupSparse, gradNorm, learningRate, acc1, acc5, imagesPerSecond, seconds);
    }

    /** @return the epoch, from 1 */
    public int getEpoch() {
        return epoch;
    }

    /** @return the mean total training loss */
    public double getLoss() {
        return loss;
    }

    /** @return the mean cross-entropy */
    public double getCrossEntropy() {
        return ce;
    }

    /** @return the mean weighted balancing loss */
    public double getBalance() {
        return balance;
    }

    /** @return the mean weighted group-sparse loss */
    public double getGroupSparse() {
        return groupSparse;
    }

    /** @return the test top-1 accuracy */
    public double getAcc1() {
        return acc1;
    }

    /** @return the test top-5 accuracy */
    public double getAcc5() {
        return acc5;
    }

    /** @return the training throughput in images per second */
    public double getImagesPerSecond() {
        return imagesPerSecond;
    }

    /** @return the epoch's wall time in seconds */
    public double getSeconds() {
        return seconds;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "epoch %d: loss %.4f (ce %.4f, balance %.2e, group-sparse %.2e), test Acc@1 %.2f%%, Acc@5 %.2f%%,"
                        + " %.0f img/s, %.1f s",
                epoch, loss, ce, balance, groupSparse, 100 * acc1, 100 * acc5, imagesPerSecond, seconds);
    }
}
