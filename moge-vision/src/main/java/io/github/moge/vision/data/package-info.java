/**
 * Image datasets read from local files: a validating IDX reader and Fashion-MNIST as a DJL
 * {@link ai.djl.training.dataset.RandomAccessDataset}.
 */
package io.github.moge.vision.data;
