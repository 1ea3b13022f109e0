package io.github.moge.examples.vision;

import io.github.moge.core.training.RunConfiguration;
import io.github.moge.examples.training.AddedSetting;
import io.github.moge.examples.training.CommandSettings;
import java.nio.file.Path;

/**
 * The run-defining options of a {@code train-vision} run, as given: a null value means "the
 * preset's or the recipe's", resolved from the preset again by every invocation, resumed or not.
 * What {@code config.json} holds ({@link #toConfiguration()}) and what {@code --resume} restores
 * ({@link #fromConfiguration}), through {@link CommandSettings}; the clipping norm is saved by
 * {@code TrainingRun}.
 *
 * @param preset {@code --preset}, before {@code --moge} is applied
 * @param data {@code --data}
 * @param dataset {@code --dataset}
 * @param epochs {@code --epochs}
 * @param experts {@code --experts}
 * @param topK {@code --top-k}
 * @param moge {@code --moge} / {@code --no-moge}
 * @param lambda {@code --lambda}
 * @param loadForm {@code --load-form}
 * @param batchSize {@code --batch-size}
 * @param learningRate {@code --lr}
 * @param minLearningRate {@code --min-lr}
 * @param weightDecay {@code --weight-decay}
 * @param warmupEpochs {@code --warmup-epochs}
 * @param mixup {@code --mixup}
 * @param cutmix {@code --cutmix}
 * @param labelSmoothing {@code --label-smoothing}
 * @param randomErasing {@code --random-erasing}
 * @param colorJitter {@code --color-jitter}
 * @param autoAugment {@code --auto-augment}
 * @param flip {@code --flip}
 * @param cropPadding {@code --crop-padding}
 * @param trainLimit {@code --train-limit}
 * @param testLimit {@code --test-limit}
 * @param evalBatchSize {@code --eval-batch-size}
 * @param seed {@code --seed}
 * @param upcycleFrom {@code --upcycle-from}: the dense run directory or parameter file a new run's
 *     parameters are upcycled from (absolute), or null; runs saved before it read as null
 */
record VisionRunSettings(
        String preset,
        Path data,
        String dataset,
        Integer epochs,
        Integer experts,
        Integer topK,
        Boolean moge,
        Float lambda,
        String loadForm,
        Integer batchSize,
        float learningRate,
        float minLearningRate,
        float weightDecay,
        Float warmupEpochs,
        Float mixup,
        Float cutmix,
        Float labelSmoothing,
        Float randomErasing,
        Float colorJitter,
        String autoAugment,
        Float flip,
        Integer cropPadding,
        long trainLimit,
        long testLimit,
        int evalBatchSize,
        long seed,
        @AddedSetting Path upcycleFrom) {

    /** The command's name, saved in {@code config.json}. */
    static final String COMMAND = "train-vision";

    /** {@return the settings as the run configuration saved in {@code config.json}} */
    RunConfiguration toConfiguration() {
        return CommandSettings.toConfiguration(COMMAND, this);
    }

    /**
     * Rebuilds the settings of a saved run.
     *
     * @param c the run's configuration
     * @return the settings
     * @throws IllegalArgumentException if it is not a {@code train-vision} configuration of this
     *     form
     */
    static VisionRunSettings fromConfiguration(RunConfiguration c) {
        return CommandSettings.fromConfiguration(COMMAND, c, VisionRunSettings.class);
    }
}
