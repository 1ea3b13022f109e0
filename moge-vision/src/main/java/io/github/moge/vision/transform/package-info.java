/**
 * Image transforms. Deterministic ones: a torchvision-compatible affine warp and the fixed
 * transforms of the routing-invariance evaluation. Training augmentations, applied to whole batches
 * on their device with host-seeded parameters: padding to a size, random crop with padding,
 * horizontal flip, timm's RandAugment (PIL's 8-bit ops), colour jitter, normalisation, random
 * erasing, and batch-level mixup/CutMix producing soft labels, composed by {@link
 * io.github.moge.vision.transform.AugmentationPipeline}.
 */
package io.github.moge.vision.transform;
