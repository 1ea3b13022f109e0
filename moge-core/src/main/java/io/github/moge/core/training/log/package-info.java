/**
 * The run log written beside the checkpoints ({@link io.github.moge.core.training.log.RunLog}): one
 * CSV row per step ({@link io.github.moge.core.training.log.StepRecord}, metrics.csv) and per epoch
 * ({@link io.github.moge.core.training.log.EpochRecord}, epochs.csv), appended and truncated on
 * resume by {@link io.github.moge.core.training.log.CsvLog}, and the console lines.
 */
package io.github.moge.core.training.log;
