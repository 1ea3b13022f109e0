/**
 * Optimizers whose whole state (moments, step counts) is saved in a checkpoint and restored
 * exactly, updating parameters and moments in place: {@link
 * io.github.moge.core.training.optim.StatefulAdam} and {@link
 * io.github.moge.core.training.optim.StatefulAdamW} over {@link
 * io.github.moge.core.training.optim.AdamRule}.
 */
package io.github.moge.core.training.optim;
