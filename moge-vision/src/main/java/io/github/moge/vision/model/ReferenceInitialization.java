package io.github.moge.vision.model;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;

/**
 * Sets the initialisation of the vision reference on a ViT or Swin model before it is initialised:
 * every weight of a linear map or convolution (attention, MLP, patch embedding, patch merging,
 * head, the router and the stacked experts) from a normal with std {@link #WEIGHT_STD} = 0.02
 * within [-2, 2] ({@link TruncatedNormalInitializer}), every bias 0, LayerNorm weight 1 and bias 0,
 * except the residual post-norms of Swin V2 blocks, whose weight and bias start at 0 as in the
 * official Swin V2 code (each block then starts as the identity). Parameters of other kinds keep
 * their own initialisers: the ViT class token (std 1e-6) and position embedding (std 0.02), Swin
 * V1's relative-position table (std 0.02) and Swin V2's attention logit scale (log 10).
 *
 * <p>Without this, DJL's defaults (Xavier) give about three times the std at width 512, and much
 * more peaked routing at step 0 than the reference.
 */
public final class ReferenceInitialization {

    /** Standard deviation of the weights. */
    public static final float WEIGHT_STD = 0.02f;

    /** The absolute bound of the weights, |w| &lt;= 2. */
    public static final float WEIGHT_BOUND = 2f;

    private ReferenceInitialization() {}

    /**
     * Sets the initialisers of every parameter of a model that is not yet initialised.
     *
     * @param model a ViT or Swin model (or any block built from this module's layers)
     * @return the model
     */
    public static Block apply(Block model) {
        Initializer weights =
                new TruncatedNormalInitializer(WEIGHT_STD, -WEIGHT_BOUND, WEIGHT_BOUND);
        for (Pair<String, Parameter> pair : model.getParameters()) {
            Parameter parameter = pair.getValue();
            switch (parameter.getType()) {
                case WEIGHT -> parameter.setInitializer(weights);
                case BIAS, BETA -> parameter.setInitializer(Initializer.ZEROS);
                case GAMMA -> parameter.setInitializer(Initializer.ONES);
                default -> {} // class token, position tables, logit scale: their own initialisers
            }
        }
        zeroPostNorms(model);
        return model;
    }

    private static void zeroPostNorms(Block block) {
        if (block instanceof ResidualBranch branch && branch.getPlacement() == NormPlacement.POST) {
            branch.getNorm().setInitializer(Initializer.ZEROS, parameter -> true);
        }
        for (Pair<String, Block> child : block.getChildren()) {
            zeroPostNorms(child.getValue());
        }
    }
}
