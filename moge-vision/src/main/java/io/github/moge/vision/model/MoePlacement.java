package io.github.moge.vision.model;

import ai.djl.nn.Block;
import io.github.moge.core.MoeBlock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * Which Transformer blocks of a model hold a MoE feed-forward, as 0-based block indices counted
 * over the whole model (for Swin, across all stages in order), with the paper's standard
 * placements.
 */
public final class MoePlacement {

    private final List<Integer> indices;

    private MoePlacement(List<Integer> indices) {
        this.indices = indices;
    }

    /**
     * An explicit placement.
     *
     * @param indices 0-based block indices (duplicates are ignored)
     * @return the placement
     */
    public static MoePlacement of(List<Integer> indices) {
        for (Integer index : indices) {
            if (index == null || index < 0) {
                throw new IllegalArgumentException(
                        "MoE block indices must be >= 0, got " + indices);
            }
        }
        return new MoePlacement(List.copyOf(new TreeSet<>(indices)));
    }

    /** {@return no MoE layer: a dense model} */
    public static MoePlacement none() {
        return new MoePlacement(List.of());
    }

    /**
     * V-MoE's "Last-n": the last n even-numbered blocks counting from 1 (0-based odd indices), e.g.
     * blocks 5 and 7 of 8 for n = 2.
     *
     * @param depth the number of blocks
     * @param n how many MoE layers
     * @return the placement
     */
    public static MoePlacement lastEven(int depth, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = depth - 1; i >= 0 && out.size() < n; i--) {
            if (i % 2 == 1) {
                out.add(i);
            }
        }
        if (out.size() < n) {
            throw new IllegalArgumentException(
                    "a depth of " + depth + " has fewer than " + n + " even-numbered blocks");
        }
        return of(out);
    }

    /**
     * Swin-MoE's CIFAR/Tiny-ImageNet placement: every second block (local indices 1, 3, 5, ...) of
     * each of the last {@code stages} stages.
     *
     * @param depths blocks per stage
     * @param stages how many final stages get MoE layers
     * @return the placement
     */
    public static MoePlacement alternateInLastStages(int[] depths, int stages) {
        List<Integer> out = new ArrayList<>();
        int start = 0;
        for (int s = 0; s < depths.length; s++) {
            if (s >= depths.length - stages) {
                for (int b = 1; b < depths[s]; b += 2) {
                    out.add(start + b);
                }
            }
            start += depths[s];
        }
        return of(out);
    }

    /**
     * The ImageNet placement: the last block of each of the last {@code stages} stages.
     *
     * @param depths blocks per stage
     * @param stages how many final stages get a MoE layer
     * @return the placement
     */
    public static MoePlacement lastBlockOfLastStages(int[] depths, int stages) {
        List<Integer> out = new ArrayList<>();
        int end = 0;
        for (int s = 0; s < depths.length; s++) {
            end += depths[s];
            if (s >= depths.length - stages) {
                out.add(end - 1);
            }
        }
        return of(out);
    }

    /**
     * Checks every index against the number of blocks.
     *
     * @param totalBlocks the model's number of Transformer blocks
     */
    public void validate(int totalBlocks) {
        for (int index : indices) {
            if (index >= totalBlocks) {
                throw new IllegalArgumentException(
                        "MoE placement index "
                                + index
                                + " is out of range: the model has "
                                + totalBlocks
                                + " blocks (0.."
                                + (totalBlocks - 1)
                                + ")");
            }
        }
    }

    /**
     * Builds the feed-forward of one block: a MoE layer where placed, else a dense {@link
     * MlpBlock}.
     *
     * @param index the block's index
     * @param width the model width at that block
     * @param hidden the feed-forward hidden width
     * @param dropout the dense feed-forward dropout
     * @param moe the template of the MoE layers (built from a copy with the hidden width, so it
     *     stays unchanged); may be null only for a placement with no index
     * @return the feed-forward block
     */
    public Block feedForward(
            int index, int width, int hidden, float dropout, MoeBlock.Builder moe) {
        if (contains(index)) {
            if (moe == null) {
                throw new IllegalArgumentException(
                        "MoE layers are placed at "
                                + indices
                                + " but no MoE layer template was given");
            }
            return moe.copy().setHiddenSize(hidden).build();
        }
        return new MlpBlock(width, hidden, dropout);
    }

    /**
     * Returns whether a block holds a MoE layer.
     *
     * @param index the block index
     * @return whether it is in the placement
     */
    public boolean contains(int index) {
        return Collections.binarySearch(indices, index) >= 0;
    }

    /** {@return the sorted block indices} */
    public List<Integer> getIndices() {
        return indices;
    }

    /** {@return the number of MoE layers} */
    public int size() {
        return indices.size();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return indices.toString();
    }
}
