/**
 * Transformer language models with SMoE/SMoGE feed-forward layers: relative-position attention with
 * a memory of preceding tokens, the MomentumSMoE/AdamSMoE residual rules, and presets.
 */
package io.github.moge.lm.model;
