/**
 * Vision Transformer building blocks shared by the model families ({@code vit}, {@code swin}):
 * patch embedding, multi-head self-attention, dense feed-forward, stochastic depth, residual
 * branches that carry the auxiliary terms of MoE feed-forward layers, the MoE layer template
 * ({@link io.github.moge.vision.model.VisionMoe}) and placement, the reference initialisation,
 * sparse upcycling, and the single-layer Fashion-MNIST model of the invariance study. This package
 * depends on neither subpackage; the presets that choose between them are in {@code
 * io.github.moge.vision.preset}.
 *
 * <p>Model output contract: in training a model returns {@code (logits [B, classes], terms...)},
 * the terms being the named scalars of {@link io.github.moge.core.AuxiliaryTerms} of every MoE
 * layer in order; in evaluation it returns {@code (logits)}. {@link io.github.moge.core.MoeLoss}
 * consumes that list.
 */
package io.github.moge.vision.model;
