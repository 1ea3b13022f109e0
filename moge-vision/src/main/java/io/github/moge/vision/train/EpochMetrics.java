package io.github.moge.vision.train;

import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.training.log.EpochRecord;
import java.util.Locale;
import java.util.Map;

/**
 * What one epoch of a vision run measured, read from the run's {@code epochs.csv}: the
 * sample-weighted mean training loss and its components (cross-entropy, weighted balancing loss,
 * weighted group-sparse loss), test Acc@1 and Acc@5 and the epoch's wall time. Per-step values
 * (gradient norm, learning rate, throughput) are in {@code metrics.csv}.
 */
public final class EpochMetrics {

    /** The name of the test top-1 accuracy in {@code epochs.csv} ({@code validation_acc1}). */
    public static final String ACC1 = "acc1";

    /** The name of the test top-5 accuracy in {@code epochs.csv} ({@code validation_acc5}). */
    public static final String ACC5 = "acc5";

    private final int epoch;
    private final double loss;
    private final double ce;
    private final double balance;
    private final double groupSparse;
    private final double acc1;
    private final double acc5;
    private final double seconds;

    private EpochMetrics(EpochRecord record, String baseLossName) {
        Map<String, Double> train = record.getTraining();
        this.epoch = record.getEpoch() + 1;
        this.loss = train.getOrDefault("loss", Double.NaN);
        this.ce = train.getOrDefault(baseLossName, Double.NaN);
        this.balance = train.getOrDefault(AuxiliaryTerms.BALANCE_LOSS, 0.0);
        this.groupSparse = train.getOrDefault(AuxiliaryTerms.GROUP_SPARSE_LOSS, 0.0);
        this.acc1 = record.getValidation().getOrDefault(ACC1, Double.NaN);
        this.acc5 = record.getValidation().getOrDefault(ACC5, Double.NaN);
        this.seconds = record.getSeconds();
    }

    /**
     * Reads one epoch's record.
     *
     * @param record the epoch as {@code TrainingRun} recorded it
     * @param baseLossName the name of the classification loss ({@code MoeLoss}'s first term)
     * @return the metrics
     */
    public static EpochMetrics of(EpochRecord record, String baseLossName) {
        return new EpochMetrics(record, baseLossName);
    }

    /**
     * @return the epoch, from 1
     */
    public int getEpoch() {
        return epoch;
    }

    /**
     * @return the mean total training loss
     */
    public double getLoss() {
        return loss;
    }

    /**
     * @return the mean cross-entropy
     */
    public double getCrossEntropy() {
        return ce;
    }

    /**
     * @return the mean weighted balancing loss
     */
    public double getBalance() {
        return balance;
    }

    /**
     * @return the mean weighted group-sparse loss
     */
    public double getGroupSparse() {
        return groupSparse;
    }

    /**
     * @return test top-1 accuracy
     */
    public double getAcc1() {
        return acc1;
    }

    /**
     * @return test top-5 accuracy
     */
    public double getAcc5() {
        return acc5;
    }

    /**
     * @return the training time of the epoch in seconds
     */
    public double getSeconds() {
        return seconds;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "epoch %d: loss %.4f (ce %.4f, balance %.3g, group-sparse %.3g), test Acc@1 %.2f%%"
                        + " Acc@5 %.2f%%, %.1f s",
                epoch,
                loss,
                ce,
                balance,
                groupSparse,
                100 * acc1,
                100 * acc5,
                seconds);
    }
}
