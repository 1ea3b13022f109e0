/**
 * Language-model training on the shared {@code io.github.moge.core.training.TrainingRun}: the token
 * stream as batches, the step that carries the attention memory, validation perplexity, the
 * best-on-validation parameters and a wall-time budget, assembled by {@link
 * io.github.moge.lm.training.LmTraining}.
 */
package io.github.moge.lm.training;
