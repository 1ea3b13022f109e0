/**
 * Where a run's batches come from and in which order: {@link
 * io.github.moge.core.training.data.BatchSource}, a seeded permutation per epoch ({@link
 * io.github.moge.core.training.data.BatchOrder}) and shuffled batches of an in-memory dataset
 * ({@link io.github.moge.core.training.data.ShuffledBatches}).
 */
package io.github.moge.core.training.data;
