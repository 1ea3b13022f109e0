/**
 * Using what a run trained: {@code moge predict} (top classes of images, next words and perplexity
 * of a text) and {@code moge evaluate} (the run's test figures re-computed from its saved model),
 * both through the public loaders {@code TrainedVisionRun} and {@code TrainedLmRun}.
 */
package io.github.moge.examples.inference;
