/**
 * Deterministic image transforms: a torchvision-compatible affine warp and the fixed transforms
 * of the routing-invariance evaluation.
 */
package io.github.moge.vision.transform;
