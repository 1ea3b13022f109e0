package io.github.moge.vision.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Counts top-1 and top-5 hits of classification logits against class indices over many batches
 * (Acc@1 and Acc@5 of the paper's tables). With fewer than 5 classes Acc@5 counts the top K.
 */
public final class AccuracyCounter {

    private long top1;
    private long top5;
    private long total;

    /**
     * Adds one batch.
     *
     * @param logits {@code [B, K]}
     * @param labels {@code [B]} class indices
     */
    public void add(NDArray logits, NDArray labels) {
        int k = (int) Math.min(5, logits.getShape().get(1));
        NDArray ranked = logits.argSort(1, false).get(":, :" + k);
        NDArray hit = ranked.eq(labels.toType(ranked.getDataType(), false).reshape(-1, 1));
        NDArray hitF = hit.toType(DataType.FLOAT32, false);
        top1 += (long) hitF.get(":, 0").sum().getFloat();
        top5 += (long) hitF.sum().getFloat();
        total += logits.getShape().get(0);
    }

    /**
     * Returns the top-1 accuracy.
     *
     * @return hits / examples, 0 when empty
     */
    public double top1() {
        return total == 0 ? 0 : top1 / (double) total;
    }

    /**
     * Returns the top-5 accuracy.
     *
     * @return hits / examples, 0 when empty
     */
    public double top5() {
        return total == 0 ? 0 : top5 / (double) total;
    }

    /**
     * Returns the number of examples counted.
     *
     * @return the count
     */
    public long total() {
        return total;
    }
}
