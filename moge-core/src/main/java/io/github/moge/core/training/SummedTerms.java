package io.github.moge.core.training;

/**
 * Implemented by a loss whose model output carries scalar terms that are sums over the batch's
 * samples, not means. When a batch is split across replicas ({@link
 * TrainingRun.Builder#optDevices}) the replicas' scalar output entries are merged before the loss
 * sees them: a sum is added, a mean averaged with the replicas' sample shares, so that the merged
 * value is the whole batch's.
 */
public interface SummedTerms {

    /**
     * Returns whether a scalar output entry is a sum over the batch's samples.
     *
     * @param entryName the entry's name ({@code NDArray.getName()}), possibly null
     * @return true to add the replicas' values, false to average them with their sample shares
     */
    boolean isSummedOverSamples(String entryName);
}
