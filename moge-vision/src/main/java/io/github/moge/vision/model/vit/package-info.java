/** Vision Transformer (ViT) with optional MoE/MoGE feed-forward layers (V-MoE, V-MoGE). */
package io.github.moge.vision.model.vit;
