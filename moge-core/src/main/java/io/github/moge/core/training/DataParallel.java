package io.github.moge.core.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.util.Pair;
import io.github.moge.core.training.optim.StatefulOptimizer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Data parallel over the devices of one host, through DJL's own parts: the trainer holds a mirror
 * of every parameter on each of its devices ({@code ParameterStore}), {@link Batch#split} cuts a
 * batch into one slice per replica and moves it to its device, and {@link Trainer#forward} runs a
 * slice on the mirrors of its device. What DJL leaves to its caller, this class does, in the
 * training loop (DJL's {@code EasyTrain} multi-device path never joins its futures):
 *
 * <ul>
 *   <li>The slices run one after another inside the step's gradient collector. Their outputs are
 *       merged onto the first device (per-sample entries concatenated; the scalar auxiliary terms
 *       of every replica combined: sums over tokens, such as MoGE's group-sparse term, added as the
 *       loss declares ({@link SummedTerms}); others, such as balance terms, averaged with the
 *       slices' sample shares) and the trainer's loss is evaluated once on the merged output. One
 *       backward pass then reaches every replica's graph through the device copies, so for a loss
 *       that is a mean over samples plus sums over tokens the gradient is that of the whole batch
 *       on one device.
 *   <li>Before anything reads the gradients (norm, clipping, divergence guard, diagnostics) the
 *       gradients of the other devices are added into the first device's and zeroed there ({@link
 *       #reduceGradients}).
 *   <li>DJL's {@code LocalParameterServer} then sums the (now zero) mirror gradients into the first
 *       device's again and calls the optimizer once per device with that sum. A {@link
 *       StatefulOptimizer} updates only the first device's copy ({@link
 *       StatefulOptimizer#setPrimaryDevice}): applied per device, its step counts and moments would
 *       advance once per replica. {@link #syncParameters} copies the updated values to the other
 *       devices.
 * </ul>
 *
 * <p>The model's own parameter arrays are the first device's copies, so checkpoints, the sigma
 * schedule (a function of the step) and a resume do not depend on the devices. More replicas than
 * devices run in turn on the devices; on one device the replicas share one copy, whose gradients
 * PyTorch accumulates, which is how the splitting and merging are tested without a second device.
 *
 * <p>What differs from one device: a balance loss (a coefficient of variation over the batch) and a
 * capacity limit are computed per slice, as in GShard and V-MoE, and the engine's random draws
 * (routing noise, dropout) fall differently on slices.
 */
final class DataParallel {

    private final Device[] devices;
    private final Device[] replicaDevices;
    private List<NDArray[]> mirrors = List.of();

    /**
     * Creates the plan.
     *
     * @param devices the trainer's devices, the first holding the model
     * @param replicas the number of slices per batch, at least the number of devices
     */
    DataParallel(Device[] devices, int replicas) {
        this.devices = devices.clone();
        this.replicaDevices = new Device[replicas];
        for (int i = 0; i < replicas; i++) {
            replicaDevices[i] = devices[i % devices.length];
        }
    }

    /** {@return the device that holds the model, the optimizer state and the merged output} */
    Device primary() {
        return devices[0];
    }

    /**
     * Finds the mirrors of the trained parameters on the trainer's other devices (after {@link
     * Trainer#initialize}) and tells the optimizer which copy it updates.
     *
     * @param trainer the initialized trainer
     * @param block the model's block
     * @param optimizer the run's optimizer
     */
    void attach(Trainer trainer, Block block, StatefulOptimizer optimizer) {
        if (devices.length == 1) {
            return;
        }
        ParameterStore store = parameterStore(trainer);
        List<NDArray[]> found = new ArrayList<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            if (!parameter.requiresGradient() || !parameter.isInitialized()) {
                continue;
            }
            NDArray[] copies = new NDArray[devices.length];
            for (int d = 0; d < devices.length; d++) {
                copies[d] = store.getValue(parameter, devices[d], true);
            }
            if (copies[0] != parameter.getArray()) {
                throw new IllegalStateException(
                        "the trainer's copy of "
                                + entry.getKey()
                                + " on "
                                + DeviceNames.name(devices[0])
                                + " is not the model's own array");
            }
            found.add(copies);
        }
        mirrors = found;
        optimizer.setPrimaryDevice(devices[0]);
    }

    /**
     * Undoes {@link #attach}: the optimizer updates every array it is handed again.
     *
     * @param optimizer the run's optimizer
     */
    void detach(StatefulOptimizer optimizer) {
        mirrors = List.of();
        optimizer.setPrimaryDevice(null);
    }

    /**
     * Runs the forward pass of one batch over the replicas (inside the gradient collector).
     *
     * @param step the training step
     * @param trainer the trainer
     * @param batch the batch, on the first device
     * @param context the step's position and manager
     * @return the loss of the whole batch and the merged labels and predictions, on the first
     *     device
     */
    StepOutput forward(TrainingStep step, Trainer trainer, Batch batch, StepContext context) {
        if (replicaDevices.length == 1) {
            return step.forward(trainer, batch, context);
        }
        Batch[] slices = batch.split(replicaDevices, false);
        List<StepOutput> outputs = new ArrayList<>();
        float[] shares = new float[slices.length];
        long total = 0;
        for (int i = 0; i < slices.length; i++) {
            outputs.add(step.forward(trainer, slices[i], context));
            long rows = slices[i].getData().head().getShape().get(0);
            shares[i] = rows;
            total += rows;
        }
        for (int i = 0; i < shares.length; i++) {
            shares[i] /= total;
        }
        SummedTerms summed =
                trainer.getLoss() instanceof SummedTerms
                        ? (SummedTerms) trainer.getLoss()
                        : name -> false;
        NDList labels = merge(outputs, shares, true, summed);
        NDList predictions = merge(outputs, shares, false, summed);
        return new StepOutput(trainer.getLoss().evaluate(labels, predictions), labels, predictions);
    }

    /**
     * Merges the replicas' labels or predictions onto the first device, entry by entry: a scalar
     * that the loss says is a sum over samples ({@link SummedTerms}) is added, any other scalar
     * averaged with the sample shares, and every other entry (per-sample outputs, labels, router
     * inputs) concatenated along the batch axis.
     */
    private NDList merge(
            List<StepOutput> outputs, float[] shares, boolean labels, SummedTerms summed) {
        int size = entries(outputs.get(0), labels).size();
        for (StepOutput output : outputs) {
            if (entries(output, labels).size() != size) {
                throw new IllegalStateException(
                        "the replicas returned outputs of different lengths: cannot merge them");
            }
        }
        NDList merged = new NDList();
        for (int j = 0; j < size; j++) {
            NDArray first = entries(outputs.get(0), labels).get(j);
            String name = first.getName();
            NDList parts = new NDList();
            for (StepOutput output : outputs) {
                parts.add(entries(output, labels).get(j).toDevice(primary(), false));
            }
            NDArray value;
            if (!first.getShape().isScalar()) {
                value = NDArrays.concat(parts, 0);
            } else if (summed.isSummedOverSamples(name)) {
                value = NDArrays.add(parts.toArray(new NDArray[0]));
            } else {
                value = parts.get(0).mul(shares[0]);
                for (int i = 1; i < parts.size(); i++) {
                    value = value.add(parts.get(i).mul(shares[i]));
                }
            }
            if (name != null) {
                value.setName(name);
            }
            merged.add(value);
        }
        return merged;
    }

    private static NDList entries(StepOutput output, boolean labels) {
        return labels ? output.getLabels() : output.getPredictions();
    }

    /**
     * Adds the gradients of the other devices into the first device's and zeroes them there, so
     * that the model's own gradients are those of the whole batch.
     *
     * @param scope the step's manager (gradient handles are freed with it)
     */
    void reduceGradients(NDManager scope) {
        for (NDArray[] copies : mirrors) {
            NDArray total = copies[0].getGradient();
            total.attach(scope);
            for (int d = 1; d < copies.length; d++) {
                NDArray gradient = copies[d].getGradient();
                gradient.attach(scope);
                NDArray moved = gradient.toDevice(devices[0], true);
                moved.attach(scope);
                total.addi(moved);
                gradient.set(new NDIndex("..."), 0);
            }
        }
    }

    /**
     * Copies the updated parameters of the first device to the others (after the optimizer step).
     *
     * @param scope the step's manager (the copies in transit are freed with it)
     */
    void syncParameters(NDManager scope) {
        for (NDArray[] copies : mirrors) {
            for (int d = 1; d < copies.length; d++) {
                NDArray moved = copies[0].toDevice(devices[d], true);
                moved.attach(scope);
                copies[d].set(new NDIndex("..."), moved);
            }
        }
    }

    /**
     * Returns the trainer's parameter store. DJL 0.25's {@link Trainer} keeps it private; its
     * {@link ParameterStore#getValue} is the public way to a parameter's copy on a device.
     */
    private static ParameterStore parameterStore(Trainer trainer) {
        try {
            Field field = Trainer.class.getDeclaredField("parameterStore");
            field.setAccessible(true);
            return (ParameterStore) field.get(trainer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "cannot reach the parameter copies of DJL's Trainer on "
                            + Arrays.toString(trainer.getDevices())
                            + " (expected DJL 0.25): train on one device",
                    e);
        }
    }
}
