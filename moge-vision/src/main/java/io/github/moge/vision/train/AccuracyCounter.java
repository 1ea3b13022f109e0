package io.github.moge.vision.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.training.data.BatchSource;
import java.io.IOException;
import java.util.function.UnaryOperator;

/**
 * Counts top-1 and top-5 hits of classification logits against class indices over many batches
 * (Acc@1 and Acc@5 of the paper's tables). With fewer than 5 classes Acc@5 counts the top K.
 */
public final class AccuracyCounter {

    private long top1;
    private long top5;
    private long total;

    /**
     * Counts the hits of a model over every batch of an evaluation source (epoch 0, its fixed
     * order), each batch in its own sub-manager.
     *
     * @param forward the model in inference mode: images to an {@link NDList} whose head is the
     *     logits (e.g. {@code trainer::evaluate}, or a block's forward with training off)
     * @param test the evaluation batches (already padded and normalised)
     * @param manager the parent of the per-batch managers
     * @return the counts
     * @throws IOException if a batch cannot be read
     */
    public static AccuracyCounter measure(
            UnaryOperator<NDList> forward, BatchSource test, NDManager manager) throws IOException {
        AccuracyCounter accuracy = new AccuracyCounter();
        for (int i = 0; i < test.batchesPerEpoch(); i++) {
            try (NDManager scope = manager.newSubManager()) {
                Batch batch = test.getBatch(scope, 0, 0, i);
                accuracy.add(forward.apply(batch.getData()).head(), batch.getLabels().head());
            }
        }
        return accuracy;
    }

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
