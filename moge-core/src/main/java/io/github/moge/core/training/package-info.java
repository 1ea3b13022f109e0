/**
 * One training mechanism shared by every training command: a loop ({@link
 * io.github.moge.core.training.TrainingRun}) that checkpoints everything a resumed run needs,
 * resumes exactly, stops on non-finite losses or gradients, and checks its settings before any
 * compute. It knows nothing of MoE: it logs the components of any DJL {@code AbstractCompositeLoss}
 * and checkpoints the state of any {@link io.github.moge.core.training.StatefulListener}.
 *
 * <p>Pieces: optimizers whose state can be saved ({@link
 * io.github.moge.core.training.optim.StatefulAdam}, {@link
 * io.github.moge.core.training.optim.StatefulAdamW}), checkpoints in DJL's parameter format plus
 * JSON with a SHA-256 manifest ({@link io.github.moge.core.training.checkpoint.CheckpointStore}),
 * randomness as a pure function of (seed, step) ({@link
 * io.github.moge.core.training.data.RunSeeds}), the run log ({@link
 * io.github.moge.core.training.log.RunLog}) and a pluggable per-batch step ({@link
 * io.github.moge.core.training.TrainingStep}). See docs/training.md.
 */
package io.github.moge.core.training;
