package io.github.moge.lm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's {@code Linear} default ({@link LmInitialization#TORCH}) on every linear map of the
 * language model: weights and biases within +-1/sqrt(fan_in), weight variance 1/(3 fan_in).
 */
class LmInitializationTest {

    private static final int WIDTH = 64;
    private static final int HIDDEN = 96;
    private static final int EXPERTS = 16;
    private static final int VOCABULARY = 300;

    private static Map<String, Parameter> initialised(
            LmInitialization initialization, NDManager manager) {
        MoeTransformerLm model =
                MoeTransformerLm.builder()
                        .setVocabularySize(VOCABULARY)
                        .optLayers(2)
                        .optWidth(WIDTH)
                        .optHeads(4)
                        .optSpan(8)
                        .optHiddenSize(HIDDEN)
                        .optExperts(EXPERTS)
                        .optRouterBias(true)
                        .optInitialization(initialization)
                        .build();
        Engine.getInstance().setRandomSeed(5);
        model.initialize(manager, DataType.FLOAT32, model.inputShapes(2, 4));
        Map<String, Parameter> parameters = new HashMap<>();
        for (Pair<String, Parameter> pair : model.getParameters()) {
            parameters.put(plainName(pair.getKey()), pair.getValue());
        }
        return parameters;
    }

    /** The fan-in of a linear map's weight or bias, from the weight's layout; 0 for others. */
    private static long fanIn(String name, Map<String, Parameter> parameters) {
        String layer = name.substring(0, name.lastIndexOf('_') + 1);
        String suffix = name.substring(name.lastIndexOf('_') + 1);
        return switch (suffix) {
            case "weight" -> parameters.get(name).getShape().get(1); // Linear [out, in]
            case "gate" -> parameters.get(name).getShape().get(0); // router [d, E]
            case "w1", "w2" -> parameters.get(name).getShape().get(1); // experts [E, in, out]
            case "b1" -> parameters.get(layer + "w1").getShape().get(1);
            case "b2" -> parameters.get(layer + "w2").getShape().get(1);
            case "bias" ->
                    parameters.containsKey(layer + "gate")
                            ? parameters.get(layer + "gate").getShape().get(0)
                            : parameters.get(layer + "weight").getShape().get(1);
            default -> 0;
        };
    }

    @Test
    void everyLinearMapIsKaimingUniformWithASqrt5() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, Parameter> parameters = initialised(LmInitialization.TORCH, manager);
            int linear = 0;
            int checkedVariance = 0;
            for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
                String name = entry.getKey();
                long fanIn = fanIn(name, parameters);
                float[] values = entry.getValue().getArray().toFloatArray();
                if (fanIn == 0) {
                    continue;
                }
                linear++;
                double bound = 1.0 / Math.sqrt(fanIn);
                double sum = 0;
                double squares = 0;
                for (float v : values) {
                    assertTrue(Math.abs(v) <= bound, name + ": " + v + " outside +-" + bound);
                    sum += v;
                    squares += (double) v * v;
                }
                // Uniform: variance b^2 / 3 = 1 / (3 fan_in); relative standard error of the
                // sample's second moment sqrt(0.8 / n), under 3 % for n >= 1024.
                if (values.length >= 1024) {
                    double mean = sum / values.length;
                    double variance = squares / values.length - mean * mean;
                    assertEquals(1.0, variance * 3 * fanIn, 0.1, name);
                    checkedVariance++;
                }
            }
            // Per layer: 4 attention projections, gate and bias, w1, b1, w2, b2; the output layer's
            // weight and bias.
            assertEquals(2 * 10 + 2, linear);
            assertTrue(checkedVariance >= 2 * 7 + 1, "weights checked: " + checkedVariance);
            assertEquals(
                    new Shape(EXPERTS),
                    parameters.get("layer0_feedForward_router_bias").getShape());
            // Not linear maps: the embedding and position vectors keep N(0, 1), LayerNorm 1 / 0.
            assertEquals(1.0, std(parameters.get("embedding").getArray().toFloatArray()), 0.05);
            for (float v : parameters.get("layer0_norm1_gamma").getArray().toFloatArray()) {
                assertEquals(1f, v, 0f);
            }
        }
    }

    @Test
    void djlIsTheBuildersDefaultAndLeavesDjlsInitialisers() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, Parameter> parameters = initialised(LmInitialization.DJL, manager);
            // DJL's Linear: N(0, 2 / fan_in), biases 0.
            float[] query =
                    parameters.get("layer0_attention_query_weight").getArray().toFloatArray();
            assertEquals(Math.sqrt(2.0 / WIDTH), std(query), 0.01);
            for (float v : parameters.get("output_bias").getArray().toFloatArray()) {
                assertEquals(0f, v, 0f);
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            MoeTransformerLm model =
                    MoeTransformerLm.builder().setVocabularySize(VOCABULARY).build();
            Engine.getInstance().setRandomSeed(5);
            model.initialize(manager, DataType.FLOAT32, model.inputShapes(2, 4));
            Map<String, Parameter> parameters = new HashMap<>();
            for (Pair<String, Parameter> pair : model.getParameters()) {
                parameters.put(plainName(pair.getKey()), pair.getValue());
            }
            float[] query =
                    parameters.get("layer0_attention_query_weight").getArray().toFloatArray();
            assertEquals(Math.sqrt(2.0 / 128), std(query), 0.01);
            // No router bias by default.
            assertTrue(!parameters.containsKey("layer0_feedForward_router_bias"));
        }
    }

    /** The parameter's path without DJL's child-order prefixes: {@code layer0_attention_...}. */
    private static String plainName(String name) {
        return name.replaceAll("(^|_)\\d\\d", "$1");
    }

    private static double std(float[] values) {
        double squares = 0;
        for (float v : values) {
            squares += (double) v * v;
        }
        return Math.sqrt(squares / values.length);
    }
}
