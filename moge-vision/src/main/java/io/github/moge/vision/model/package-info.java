/**
 * Vision Transformer building blocks shared by the model families: patch embedding, multi-head
 * self-attention, dense feed-forward, stochastic depth, residual branches that carry the auxiliary terms of
 * MoE feed-forward layers, the presets of the paper's settings, sparse upcycling, and the single-layer
 * Fashion-MNIST model of the invariance study.
 *
 * <p>Model output contract: in training a model returns {@code (logits [B, classes], terms...)}, the terms
 * being the named scalars of {@link io.github.moge.core.AuxiliaryTerms} of every MoE layer in order; in
 * evaluation it returns {@code (logits)}. {@link io.github.moge.core.MoeLoss} consumes that list.
 */
package io.github.moge.vision.model;
