package io.github.moge.vision.model.swin;

/** Which Swin Transformer design a model follows. */
public enum SwinVersion {
    /**
     * Pre-norm blocks, scaled dot-product attention with a learned relative position bias table.
     */
    V1,
    /**
     * Residual post-norm blocks, scaled cosine attention with a learnable clamped logit scale, and
     * a relative position bias from an MLP over log-spaced coordinates.
     */
    V2
}
