package io.github.moge.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.github.moge.core.AuxiliaryTerms;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaScheduleListener;
import io.github.moge.core.metrics.RegularizerPull;
import io.github.moge.core.testing.GroupSparseReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one training step's forward and backward twice from identical parameters, batch and engine
 * seed: once with a command's {@link MoeLoss} and once with the same loss without the group-sparse
 * term, through the command's {@link TrainingStep}, with the sigma schedule at a chosen step set
 * through a {@link SigmaScheduleListener} as a resumed run sets it. What the two passes leave
 * (every parameter's gradient, the router inputs and sigma of every MoGE layer, the {@link
 * RegularizerPull} measurement of the first pass) is copied to doubles for the end-to-end gradient
 * checks.
 */
public final class RegularizerGradientProbe implements AutoCloseable {

    private final Model model;
    private final Trainer trainer;
    private final SwitchedLoss loss;
    private final SigmaScheduleListener schedule = new SigmaScheduleListener();

    /**
     * Creates the model and its trainer.
     *
     * @param block the model's block, not initialized
     * @param loss the command's loss (with the regularizer's weight)
     * @param inputShapes the shapes to initialize the block with
     * @param seed the initialization seed
     */
    public RegularizerGradientProbe(Block block, MoeLoss loss, long seed, Shape... inputShapes) {
        Engine.getInstance().setRandomSeed((int) seed);
        this.model = Model.newInstance("gradient-probe");
        model.setBlock(block);
        MoeLoss without =
                MoeLoss.builder()
                        .setBaseLoss(loss.getBaseLoss())
                        .optBalanceWeight(loss.getBalanceWeight())
                        .optGroupSparseWeight(0f)
                        .build();
        this.loss = new SwitchedLoss(loss, without);
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(this.loss).addTrainingListeners(schedule);
        this.trainer = model.newTrainer(config);
        trainer.initialize(inputShapes);
    }

    /** Returns the model. */
    public Model getModel() {
        return model;
    }

    /** Returns the manager of the model's parameters, for creating batches. */
    public NDManager getManager() {
        return trainer.getManager();
    }

    /**
     * Sets the schedule position as a resume does: {@code step} optimizer steps taken.
     *
     * @param step the step
     */
    public void setScheduleStep(int step) {
        schedule.setStep(step);
    }

    /**
     * Runs the step with ({@code regularized}) or without the group-sparse term.
     *
     * @param step the command's training step
     * @param data the batch data
     * @param labels the batch labels
     * @param regularized whether the loss includes the group-sparse term
     * @param engineSeed the engine seed of the step (same for both passes: same noise and dropout)
     * @return what the pass left, in doubles
     */
    public Pass run(
            TrainingStep step, NDList data, NDList labels, boolean regularized, int engineSeed) {
        loss.regularized = regularized;
        RegularizerPull pull = new RegularizerPull(loss.with, 1);
        try (NDManager scope = trainer.getManager().newSubManager()) {
            zeroGradients();
            pull.beforeForward(trainer, 0);
            step.onEpochStart(0);
            Engine.getInstance().setRandomSeed(engineSeed);
            Batch batch =
                    new Batch(
                            trainer.getManager(),
                            data,
                            labels,
                            (int) data.head().getShape().get(0),
                            null,
                            null,
                            0,
                            1);
            StepContext context = new StepContext(engineSeed, 0, 0, 0, scope);
            StepOutput output;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                output = step.forward(trainer, batch, context);
                collector.backward(output.getLoss());
            }
            Pass pass = new Pass();
            for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
                Parameter parameter = entry.getValue();
                if (parameter.requiresGradient()) {
                    pass.gradients.put(
                            entry.getKey(), toDoubles(parameter.getArray().getGradient()));
                }
            }
            for (NDArray input :
                    AuxiliaryTerms.all(output.getPredictions(), AuxiliaryTerms.ROUTER_INPUT)) {
                pass.routerInputs.add(toMatrix(input));
            }
            for (MoeBlock block : SigmaScheduleListener.findMoeBlocks(model.getBlock())) {
                if (block.getRegularizer() != null) {
                    pass.sigmas.add((double) block.getSigma());
                }
            }
            NDList measured = pull.measure(trainer, output, context);
            for (int i = 0; i < measured.size(); i++) {
                pass.pull.put(
                        pull.names().get(i),
                        measured.get(i).toType(DataType.FLOAT64, false).getDouble());
            }
            pass.loss = output.getLoss().toType(DataType.FLOAT64, false).getDouble();
            zeroGradients();
            return pass;
        }
    }

    /**
     * Returns the global parameter names of a block's parameters within the model, found by
     * identity.
     *
     * @param block a block of the model
     * @return the names
     */
    public List<String> namesOf(Block block) {
        List<Parameter> own = new ArrayList<>();
        block.getParameters().forEach(pair -> own.add(pair.getValue()));
        List<String> names = new ArrayList<>();
        for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
            for (Parameter parameter : own) {
                if (parameter == entry.getValue()) {
                    names.add(entry.getKey());
                }
            }
        }
        return names;
    }

    /**
     * Returns the MoGE layers of the model, in model order.
     *
     * @return the layers with a regularizer
     */
    public List<MoeBlock> mogeBlocks() {
        List<MoeBlock> out = new ArrayList<>();
        for (MoeBlock block : SigmaScheduleListener.findMoeBlocks(model.getBlock())) {
            if (block.getRegularizer() != null) {
                out.add(block);
            }
        }
        return out;
    }

    /**
     * Returns w * dL_gs/dW of one MoGE layer's own L_gs through its router alone, every gate entry
     * by central differences of the float64 reference, from the router input a pass recorded.
     *
     * @param layer the index among {@link #mogeBlocks()}
     * @param pass the pass whose router input to use
     * @param weight w, the loss's group-sparse weight
     * @param sigma the kernel width
     * @return the gradient, flattened like the gate [d * E]
     */
    public double[] finiteDifferenceGradient(int layer, Pass pass, double weight, double sigma) {
        MoeBlock block = mogeBlocks().get(layer);
        double[][] x = pass.routerInputs.get(layer);
        double[][] gate = toMatrix(block.getRouter().getGate().getArray());
        double[][] logits = GroupSparseReference.logits(x, gate);
        if (block.getRouter().getBias() != null) {
            // h = x W + b: the bias shifts the logits the derivative starts from.
            double[] bias = toDoubles(block.getRouter().getBias().getArray());
            for (double[] row : logits) {
                for (int j = 0; j < row.length; j++) {
                    row[j] += bias[j];
                }
            }
        }
        int experts = gate[0].length;
        int filter = block.getRegularizer().getFilterSize();
        double[] out = new double[gate.length * experts];
        for (int i = 0; i < gate.length; i++) {
            for (int j = 0; j < experts; j++) {
                out[i * experts + j] =
                        weight
                                * GroupSparseReference.gateDerivative(
                                        x,
                                        logits,
                                        i,
                                        j,
                                        1e-6,
                                        block.getRegularizer().getMap().rows(),
                                        block.getRegularizer().getMap().cols(),
                                        filter,
                                        sigma);
            }
        }
        return out;
    }

    /**
     * The end-to-end checks of a model whose MoGE layers all take their router input from the
     * layers before them: every layer used {@code sigma}; the last layer's experts received bitwise
     * the same gradient with and without the term (nothing after its routing input depends on
     * L_gs); its gate received w times the float64 finite difference of its own L_gs, entry by
     * entry, within 1e-3 of the largest entry (float32 cancellation against the task's far larger
     * gradient); and {@link RegularizerPull} reported the norm of every layer's own share.
     *
     * @param with the pass with the term
     * @param without the pass without it
     * @param weight w, the loss's group-sparse weight
     * @param sigma the scheduled sigma at the probed step
     */
    public void assertGroupSparseGradients(Pass with, Pass without, double weight, double sigma) {
        List<MoeBlock> layers = mogeBlocks();
        for (double used : with.sigmas) {
            assertEquals(sigma, used, 1e-5, "sigma at the probed step");
        }
        int lastIndex = layers.size() - 1;
        MoeBlock last = layers.get(lastIndex);
        for (String name : namesOf(last.getExperts())) {
            assertArrayEquals(without.gradients.get(name), with.gradients.get(name), 0.0, name);
        }
        String gate = namesOf(last.getRouter()).get(0);
        double[] expected = finiteDifferenceGradient(lastIndex, with, weight, sigma);
        double[] difference = difference(with, without, gate);
        double largest = largest(expected);
        assertTrue(largest > 0, "the regularizer pulls on " + gate);
        for (int k = 0; k < expected.length; k++) {
            assertEquals(
                    expected[k],
                    difference[k],
                    1e-4 * Math.abs(expected[k]) + 3e-3 * largest,
                    gate + " entry " + k);
        }
        double squared = 0;
        for (int layer = 0; layer < layers.size(); layer++) {
            double own =
                    layer == lastIndex
                            ? norm(expected)
                            : norm(finiteDifferenceGradient(layer, with, weight, sigma));
            squared += own * own;
        }
        assertEquals(
                Math.sqrt(squared), with.pull.get(RegularizerPull.GS), 1e-4 * Math.sqrt(squared));
    }

    /**
     * Returns what the group-sparse term added to a parameter's gradient: with minus without.
     *
     * @param with the pass with the term
     * @param without the pass without it
     * @param name the parameter
     * @return the difference, flattened
     */
    public static double[] difference(Pass with, Pass without, String name) {
        double[] a = with.gradients.get(name);
        double[] b = without.gradients.get(name);
        double[] out = new double[a.length];
        for (int k = 0; k < a.length; k++) {
            out[k] = a[k] - b[k];
        }
        return out;
    }

    /**
     * Returns the L2 norm of a vector.
     *
     * @param v the vector
     * @return its norm
     */
    public static double norm(double[] v) {
        double sum = 0;
        for (double d : v) {
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    /**
     * Returns the largest absolute entry.
     *
     * @param v the vector
     * @return max |v_k|
     */
    public static double largest(double[] v) {
        double max = 0;
        for (double d : v) {
            max = Math.max(max, Math.abs(d));
        }
        return max;
    }

    private void zeroGradients() {
        for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
            Parameter parameter = entry.getValue();
            if (parameter.requiresGradient()) {
                parameter.getArray().getGradient().set(new NDIndex("..."), 0);
            }
        }
    }

    private static double[] toDoubles(NDArray array) {
        float[] values = array.toFloatArray();
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /**
     * Returns a 2-D array of an [N, d] array in doubles.
     *
     * @param array the array
     * @return [N][d]
     */
    public static double[][] toMatrix(NDArray array) {
        Shape shape = array.getShape();
        int rows = Math.toIntExact(shape.get(0));
        int cols = Math.toIntExact(shape.size() / rows);
        double[] flat = toDoubles(array);
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }

    /** What one pass left. */
    public static final class Pass {
        /** Every parameter's gradient, by parameter name. */
        public final Map<String, double[]> gradients = new LinkedHashMap<>();

        /** The router input [N][d] of every MoGE layer, in model order. */
        public final List<double[][]> routerInputs = new ArrayList<>();

        /** The sigma every MoGE layer used, in model order. */
        public final List<Double> sigmas = new ArrayList<>();

        /** The {@link RegularizerPull} columns measured on this pass. */
        public final Map<String, Double> pull = new LinkedHashMap<>();

        /** The training loss. */
        public double loss;
    }

    /** The trainer's loss: the command's, or the same without the group-sparse term. */
    private static final class SwitchedLoss extends Loss {
        final MoeLoss with;
        final MoeLoss without;
        boolean regularized;

        SwitchedLoss(MoeLoss with, MoeLoss without) {
            super(with.getName());
            this.with = with;
            this.without = without;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            return (regularized ? with : without).evaluate(labels, predictions);
        }
    }
}
