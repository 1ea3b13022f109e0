/**
 * {@code moge compare}: paired multi-seed comparisons of two presets of {@code train-lm} or {@code
 * train-vision}, or of the two models of {@code invariance}, through {@link
 * io.github.moge.core.compare.ComparisonRunner}, with the figure drawn by XChart.
 */
package io.github.moge.examples.compare;
