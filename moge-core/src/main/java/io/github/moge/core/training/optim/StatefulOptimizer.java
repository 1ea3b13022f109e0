package io.github.moge.core.training.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A DJL {@link Optimizer} whose per-parameter state (e.g. Adam's moments) and update counts can be
 * read out and put back, so a checkpoint can hold them and a resumed run continues with the same
 * updates.
 *
 * <p>DJL 0.25's own optimizers keep both private. This class keeps, per parameter id, an {@link
 * NDList} of state arrays and the number of updates applied, and after every update zeroes the
 * parameter's gradient (PyTorch accumulates gradients; DJL's built-in optimizers zero them the same
 * way).
 *
 * <p>Conventions follow DJL: the update number t passed to the learning-rate tracker is 1 for the
 * first update of a parameter ({@code tracker.getNewValue(parameterId, t)}), and {@code
 * optClipGrad} clips each gradient element to [-c, c] (both sides). Global-norm clipping belongs to
 * the training loop, between the backward pass and the step. State is kept for the array the
 * optimizer is handed; with several devices, only for the primary device's ({@link
 * #setPrimaryDevice}). The gradient passed to {@link #update} is consumed: updates may use it as
 * workspace, so that no full-size temporary is allocated per step, and the parameter's gradient is
 * zeroed afterwards.
 */
public abstract class StatefulOptimizer extends Optimizer {

    private final ParameterTracker learningRateTracker;
    private final Map<String, NDList> states = new LinkedHashMap<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private float lastLearningRate = Float.NaN;
    private Device primaryDevice;

    /**
     * Creates the optimizer.
     *
     * @param builder the builder with the common settings and the learning-rate tracker
     */
    protected StatefulOptimizer(Builder<?> builder) {
        super(builder);
        if (builder.learningRateTracker == null) {
            throw new IllegalArgumentException("a learning-rate tracker must be set");
        }
        this.learningRateTracker = builder.learningRateTracker;
    }

    /** {@inheritDoc} */
    @Override
    public final void update(String parameterId, NDArray weight, NDArray grad) {
        if (primaryDevice != null && !weight.getDevice().equals(primaryDevice)) {
            // Another device's copy: the training loop copies the updated primary into it.
            zeroGradient(weight);
            return;
        }
        int t = counts.merge(parameterId, 1, Integer::sum);
        NDList state = states.get(parameterId);
        if (state == null) {
            state = createState(weight);
            states.put(parameterId, state);
        } else if (!state.head().getDevice().equals(weight.getDevice())) {
            NDList moved = state.toDevice(weight.getDevice(), false);
            moved.attach(weight.getManager());
            state = moved;
            states.put(parameterId, state);
        }
        float lr = learningRateTracker.getNewValue(parameterId, t);
        if (!Float.isFinite(lr)) {
            throw new IllegalStateException(
                    "learning rate is " + lr + " at update " + t + " of parameter " + parameterId);
        }
        lastLearningRate = lr;
        apply(weight, grad, state, t, lr);
        zeroGradient(weight);
    }

    /**
     * Zeroes a parameter's gradient in place (also when it holds NaN or infinity). The gradient
     * handle and the fill value are created in a scope that is closed at once, so nothing
     * accumulates on the parameter's long-lived manager.
     *
     * @param weight the parameter
     */
    static void zeroGradient(NDArray weight) {
        try (NDManager scope = weight.getManager().newSubManager()) {
            NDArray gradient = weight.getGradient();
            gradient.attach(scope);
            gradient.set(new NDIndex("..."), 0);
        }
    }

    /**
     * Creates the zero state of a parameter (e.g. first and second moments).
     *
     * @param weight the parameter; state arrays must be attached to its manager
     * @return the state arrays
     */
    protected abstract NDList createState(NDArray weight);

    /**
     * Applies one update in place.
     *
     * @param weight the parameter, updated in place
     * @param grad its gradient, which the update may overwrite as workspace (it is zeroed
     *     afterwards)
     * @param state the parameter's state arrays, updated in place
     * @param t the update number of this parameter, 1 for the first
     * @param learningRate the learning rate for this update
     */
    protected abstract void apply(
            NDArray weight, NDArray grad, NDList state, int t, float learningRate);

    /**
     * Turns the gradient into what the update rule sees, in place: rescaled, then clipped
     * element-wise to [-c, c] when {@code optClipGrad(c)} was set (clipping goes through one
     * temporary, as DJL has no in-place clip). Rescaling by 1 is skipped, as it changes no bit.
     *
     * @param grad the raw gradient, overwritten
     * @return {@code grad}
     */
    protected NDArray preprocess(NDArray grad) {
        if (rescaleGrad != 1f) {
            grad.muli(rescaleGrad);
        }
        if (clipGrad > 0) {
            // The engine's clip leaves its bound scalars on the array's manager: run it in a scope.
            try (NDManager scope = grad.getManager().newSubManager()) {
                scope.tempAttachAll(grad);
                grad.set(new NDIndex("..."), grad.clip(-clipGrad, clipGrad));
            }
        }
        return grad;
    }

    /** {@return the weight decay set on the builder (0 if none)} */
    protected float weightDecay() {
        return getWeightDecay();
    }

    /**
     * Makes the optimizer update only the copies of the parameters on one device, for data parallel
     * training: DJL's {@code LocalParameterServer} calls {@link #update} once per device with the
     * summed gradient, which would advance the update counts and the state once per replica. A copy
     * on another device only has its gradient zeroed; the caller copies the updated values to it.
     *
     * @param device the device whose copies are updated, or null to update every array handed in
     *     (one device, the default)
     */
    public void setPrimaryDevice(Device device) {
        this.primaryDevice = device;
    }

    /** {@return the learning rate used by the most recent update, or NaN before the first} */
    public float getLastLearningRate() {
        return lastLearningRate;
    }

    /** {@return the learning-rate tracker} */
    public ParameterTracker getLearningRateTracker() {
        return learningRateTracker;
    }

    /** {@return the ids of the parameters that have state, in first-update order} */
    public Set<String> getParameterIds() {
        return Collections.unmodifiableSet(states.keySet());
    }

    /**
     * Returns the live state arrays of a parameter (do not close them).
     *
     * @param parameterId the parameter id
     * @return the state, or null if the parameter was never updated
     */
    public NDList getState(String parameterId) {
        return states.get(parameterId);
    }

    /**
     * Returns how many updates a parameter has had.
     *
     * @param parameterId the parameter id
     * @return the count, 0 if never updated
     */
    public int getUpdateCount(String parameterId) {
        return counts.getOrDefault(parameterId, 0);
    }

    /** {@return the largest update count over all parameters: the optimizer step count} */
    public int getStepCount() {
        int max = 0;
        for (int c : counts.values()) {
            max = Math.max(max, c);
        }
        return max;
    }

    /**
     * Puts back the state of a parameter, e.g. from a checkpoint. The optimizer takes ownership of
     * the arrays (they must live on a manager that outlives training, such as the model's).
     *
     * @param parameterId the parameter id
     * @param state the state arrays, as {@link #getState} returned them
     * @param updateCount the number of updates the parameter had
     */
    public void setState(String parameterId, NDList state, int updateCount) {
        if (updateCount < 0) {
            throw new IllegalArgumentException("updateCount must be >= 0, got " + updateCount);
        }
        NDList old = states.put(parameterId, state);
        if (old != null && old != state) {
            old.close();
        }
        counts.put(parameterId, updateCount);
    }

    /** Forgets all state and counts, as if no update had happened. */
    public void resetState() {
        states.values().forEach(NDList::close);
        states.clear();
        counts.clear();
        lastLearningRate = Float.NaN;
    }

    /**
     * Common settings of a {@link StatefulOptimizer}.
     *
     * @param <T> the concrete builder
     */
    public abstract static class Builder<T extends Builder<T>> extends OptimizerBuilder<T> {

        private ParameterTracker learningRateTracker = Tracker.fixed(1e-3f);

        /**
         * Sets the learning-rate tracker, called with the 1-based update number (default fixed
         * 1e-3).
         *
         * @param tracker the tracker
         * @return this builder
         */
        public T optLearningRateTracker(ParameterTracker tracker) {
            this.learningRateTracker = tracker;
            return self();
        }
    }
}
