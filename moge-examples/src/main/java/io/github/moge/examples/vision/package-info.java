/** The {@code train-vision} command: training and evaluating the vision presets. */
package io.github.moge.examples.vision;
