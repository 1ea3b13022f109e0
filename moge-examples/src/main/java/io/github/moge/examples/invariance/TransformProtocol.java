package io.github.moge.examples.invariance;

import io.github.moge.vision.transform.InvarianceTransforms;
import java.util.List;

/** Which version of the twelve Table 1 transforms the invariance evaluation applies. */
public enum TransformProtocol {
    /**
     * The paper's: RandomAffine ranges drawn per image, nearest, seeded ({@link
     * InvarianceTransforms#paper}).
     */
    PAPER,
    /**
     * Every image warped by exactly the table's value, bilinear ({@link
     * InvarianceTransforms#all()}).
     */
    FIXED;

    /**
     * Returns the transforms.
     *
     * @param seed the seed of the per-image draws (unused by {@link #FIXED})
     * @return the twelve entries in table order
     */
    public List<InvarianceTransforms.Entry> transforms(long seed) {
        return this == PAPER ? InvarianceTransforms.paper(seed) : InvarianceTransforms.all();
    }
}
