/**
 * Swin Transformer V2 (scaled cosine attention, continuous log-spaced relative position bias,
 * residual post-norm) and V1 (pre-norm, relative position bias table) with shifted windows, patch
 * merging and optional MoE/MoGE feed-forward layers.
 */
package io.github.moge.vision.model.swin;
