package io.github.moge.vision.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * Cross-entropy against soft targets, with label smoothing for hard labels:
 *
 * <pre>
 *   loss = mean over the batch of  - sum_k t_k log softmax(logits)_k
 * </pre>
 *
 * <p>Labels of shape {@code [B, K]} are used as the targets t (e.g. from mixup/CutMix, which
 * already include smoothing). Labels of shape {@code [B]} are class indices and become {@code t =
 * (1 - epsilon) onehot + epsilon / K}; epsilon = 0 is the ordinary cross-entropy. The predictions'
 * head is the logits {@code [B, K]}. Unlike DJL's {@code SoftmaxCrossEntropyLoss} it returns the
 * batch mean, so it is the per-example loss the paper reports.
 */
public final class SoftTargetCrossEntropyLoss extends Loss {

    private final float smoothing;

    /**
     * Creates the loss.
     *
     * @param name the name shown in logs
     * @param smoothing epsilon for hard labels, in {@code [0, 1)}
     */
    public SoftTargetCrossEntropyLoss(String name, float smoothing) {
        super(name);
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException(
                    "label smoothing must be in [0, 1), got " + smoothing);
        }
        this.smoothing = smoothing;
    }

    /**
     * Returns epsilon.
     *
     * @return the label smoothing applied to hard labels
     */
    public float getSmoothing() {
        return smoothing;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.head();
        if (logits.getShape().dimension() != 2) {
            throw new IllegalArgumentException("expects logits [B, K], got " + logits.getShape());
        }
        int k = (int) logits.getShape().get(1);
        NDArray label = labels.head();
        NDArray target;
        if (label.getShape().dimension() == 2) {
            if (!label.getShape().equals(logits.getShape())) {
                throw new IllegalArgumentException(
                        "soft labels "
                                + label.getShape()
                                + " do not match logits "
                                + logits.getShape());
            }
            target = label.toType(logits.getDataType(), false);
        } else {
            float off = smoothing / k;
            // oneHot(depth, on, off, type) is not implemented on PyTorch in DJL 0.25.
            target =
                    label.toType(DataType.INT64, false)
                            .reshape(-1)
                            .oneHot(k, logits.getDataType())
                            .mul(1f - smoothing)
                            .add(off);
        }
        NDArray logp = logits.logSoftmax(1);
        return target.mul(logp).sum(new int[] {1}).neg().mean();
    }
}
