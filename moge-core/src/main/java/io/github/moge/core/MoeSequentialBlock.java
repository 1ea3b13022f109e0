package io.github.moge.core;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * A sequential container that passes only the head of each child's output to the next child and
 * collects the {@link AuxiliaryTerms} every child emits, so ordinary DJL blocks (Linear, LayerNorm,
 * ...) and {@link MoeBlock}s can be stacked freely. Its output is {@code (head, terms of all
 * children...)}.
 */
public class MoeSequentialBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    /** Creates an empty container. */
    public MoeSequentialBlock() {
        super(VERSION);
    }

    /**
     * Appends a child block.
     *
     * @param block the block
     * @return this container
     */
    public MoeSequentialBlock add(Block block) {
        addChildBlock(block.getClass().getSimpleName(), block);
        return this;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList current = new NDList(inputs.head());
        NDList terms = AuxiliaryTerms.of(inputs);
        for (Block child : children.values()) {
            NDList output = child.forward(parameterStore, current, training, params);
            current = new NDList(output.head());
            terms.addAll(AuxiliaryTerms.of(output));
        }
        return current.addAll(terms);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] shapes = {inputShapes[0]};
        for (Block child : children.values()) {
            child.initialize(manager, dataType, shapes);
            shapes = new Shape[] {child.getOutputShapes(shapes)[0]};
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] shapes = Arrays.copyOf(inputShapes, 1);
        for (Block child : children.values()) {
            shapes = new Shape[] {child.getOutputShapes(shapes)[0]};
        }
        return shapes;
    }
}
