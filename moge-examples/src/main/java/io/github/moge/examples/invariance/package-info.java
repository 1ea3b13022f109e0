/**
 * The routing-invariance experiment of the MoGE paper (Section 2.4, Table 1, Fig. 2) on
 * Fashion-MNIST: train a single-layer MoE and MoGE model, compare how much their routing maps move
 * under small image transforms (IMED), and draw the per-class mean routing maps.
 */
package io.github.moge.examples.invariance;
