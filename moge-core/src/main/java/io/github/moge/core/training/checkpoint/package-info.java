/**
 * Checkpoints of a training run: the directory layout and its SHA-256 manifest ({@link
 * io.github.moge.core.training.checkpoint.CheckpointStore}), the run position saved as state.json
 * ({@link io.github.moge.core.training.checkpoint.TrainingState}) and writes that are atomic on a
 * crash ({@link io.github.moge.core.training.checkpoint.AtomicFiles}).
 */
package io.github.moge.core.training.checkpoint;
