/**
 * Using a trained vision model: a DJL {@code Translator} that turns an image into class
 * probabilities the way the run's evaluation saw its test images.
 */
package io.github.moge.vision.inference;
