/**
 * Image datasets read from local files, each a DJL {@link
 * ai.djl.training.dataset.RandomAccessDataset} that can also build whole batches ({@link
 * io.github.moge.vision.data.ImageClassificationData}): Fashion-MNIST (IDX), CIFAR-100 (binary
 * version, from its files or its archive), Tiny-ImageNet-200 and ImageNet-style class folders.
 *
 * <p>Every dataset extends {@link io.github.moge.vision.data.LocalImageDataset}, whose builder
 * holds the shared settings (split, data directory), and is looked for in the same order (explicit
 * directory, {@code $MOGE_DATA}, a system directory); a failed search reports every place tried;
 * malformed files raise a {@link io.github.moge.vision.data.DataException} naming the file and the
 * problem. Archives are unpacked by {@link io.github.moge.vision.data.SafeTarExtractor}, which
 * refuses links, escaping names and absurd sizes.
 */
package io.github.moge.vision.data;
