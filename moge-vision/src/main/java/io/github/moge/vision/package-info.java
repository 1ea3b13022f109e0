/**
 * Vision models with MoE/MoGE layers, image datasets, and the image transforms their training
 * needs.
 */
package io.github.moge.vision;
