/**
 * The named vision presets of the paper's runs and the project's small CPU runs: {@link
 * io.github.moge.vision.preset.VisionPreset} builds a preset's model (ViT or Swin from {@code
 * vision.model.vit} / {@code vision.model.swin}), its loss and its training recipe, with the values
 * a run may override. It sits above the model and training packages, so that they never depend on
 * it.
 */
package io.github.moge.vision.preset;
