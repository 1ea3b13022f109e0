package io.github.moge.vision.model;

/** Where a residual branch applies its LayerNorm. */
public enum NormPlacement {
    /** {@code x + f(norm(x))}: ViT and Swin V1. */
    PRE,
    /** {@code x + norm(f(x))}: the residual post-norm of Swin V2. */
    POST
}
