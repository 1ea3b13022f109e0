/**
 * Training support for vision models: the soft-target cross-entropy, the batch augmentation
 * pipeline's use in training, and the loop that trains, checkpoints and evaluates a preset.
 */
package io.github.moge.vision.train;
