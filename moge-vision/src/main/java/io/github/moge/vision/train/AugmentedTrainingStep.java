package io.github.moge.vision.train;

import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.github.moge.core.training.StepContext;
import io.github.moge.core.training.StepOutput;
import io.github.moge.core.training.TrainingStep;
import io.github.moge.vision.transform.AugmentationPipeline;

/**
 * The vision training step: augments the batch on its device (crop, flip, jitter, normalisation,
 * erasing, mixup/CutMix), then runs the forward pass and the loss against the augmented (possibly
 * soft) labels. The augmentation's host-side draws are seeded per step ({@link
 * StepContext#seedFor}), so a resumed run augments every batch exactly as the uninterrupted run
 * did.
 */
final class AugmentedTrainingStep implements TrainingStep {

    /** Names the augmentation's random stream among a run's seeds. */
    static final long AUGMENTATION_STREAM = 0x4155474D454E54L;

    private final AugmentationPipeline augmentation;

    AugmentedTrainingStep(AugmentationPipeline augmentation) {
        this.augmentation = augmentation;
    }

    @Override
    public StepOutput forward(Trainer trainer, Batch batch, StepContext context) {
        NDList augmented =
                augmentation.train(
                        batch.getData().head(),
                        batch.getLabels().head(),
                        context.seedFor(AUGMENTATION_STREAM));
        NDList labels = new NDList(augmented.get(1));
        NDList predictions = trainer.forward(new NDList(augmented.get(0)), labels);
        return new StepOutput(trainer.getLoss().evaluate(labels, predictions), labels, predictions);
    }
}
