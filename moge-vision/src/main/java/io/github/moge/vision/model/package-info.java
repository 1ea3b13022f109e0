/** Vision models with MoE/MoGE layers: the single-layer Fashion-MNIST model of the invariance study. */
package io.github.moge.vision.model;
