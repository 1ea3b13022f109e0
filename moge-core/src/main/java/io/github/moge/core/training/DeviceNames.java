package io.github.moge.core.training;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The short device names of the command line and of {@code config.json}: {@code cpu}, {@code gpu0},
 * {@code gpu1}, lists of them joined by commas ({@code gpu0,gpu1}), and {@code all} for every
 * device the engine reports.
 */
public final class DeviceNames {

    /** The name that stands for every device the engine reports. */
    public static final String ALL = "all";

    private DeviceNames() {}

    /**
     * Returns the short name of a device: {@code cpu} or {@code gpuN}.
     *
     * @param device the device
     * @return the name
     */
    public static String name(Device device) {
        return device.isGpu() ? "gpu" + device.getDeviceId() : device.getDeviceType();
    }

    /**
     * Returns the names of devices joined by commas, e.g. {@code gpu0,gpu1}.
     *
     * @param devices the devices
     * @return the list
     */
    public static String format(Device... devices) {
        List<String> names = new ArrayList<>();
        for (Device device : devices) {
            names.add(name(device));
        }
        return String.join(",", names);
    }

    /**
     * Parses a device list against the devices the engine reports.
     *
     * @param text {@code cpu}, {@code gpuN}, a comma-separated list of these, or {@code all}
     * @param available the devices the engine reports ({@code Engine.getDevices()}; the CPU is
     *     always usable)
     * @return the devices, in the order given; {@code all} gives the GPUs, or the CPU if there is
     *     none
     * @throws IllegalArgumentException for an unknown, absent or repeated device, or the CPU beside
     *     GPUs, naming the devices the engine reports
     */
    public static Device[] parse(String text, Device[] available) {
        Set<Device> usable = new LinkedHashSet<>();
        usable.add(Device.cpu());
        List<Device> gpus = new ArrayList<>();
        for (Device device : available) {
            usable.add(device);
            if (device.isGpu()) {
                gpus.add(device);
            }
        }
        String known = format(usable.toArray(new Device[0]));
        String trimmed = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.equals(ALL)) {
            return gpus.isEmpty() ? new Device[] {Device.cpu()} : gpus.toArray(new Device[0]);
        }
        Set<Device> out = new LinkedHashSet<>();
        for (String part : trimmed.split(",", -1)) {
            String name = part.trim();
            Device device = parseOne(name);
            if (device == null) {
                throw new IllegalArgumentException(
                        "unknown device '"
                                + name
                                + "' in '"
                                + text
                                + "': use cpu, gpuN, a comma-separated list or all (this engine"
                                + " reports "
                                + known
                                + ")");
            }
            if (!usable.contains(device)) {
                throw new IllegalArgumentException(
                        "device "
                                + name
                                + " is not available: this engine reports "
                                + known
                                + (gpus.isEmpty()
                                        ? " (no GPU, or the CPU natives are loaded)"
                                        : ""));
            }
            if (!out.add(device)) {
                throw new IllegalArgumentException(
                        "device " + name + " is given twice in '" + text + "'");
            }
        }
        if (out.size() > 1 && out.contains(Device.cpu())) {
            throw new IllegalArgumentException(
                    "'" + text + "' mixes the CPU with GPUs: data parallel runs on GPUs only");
        }
        return out.toArray(new Device[0]);
    }

    private static Device parseOne(String name) {
        if (name.equals("cpu")) {
            return Device.cpu();
        }
        if (name.matches("gpu[0-9]{1,3}")) {
            return Device.gpu(Integer.parseInt(name.substring(3)));
        }
        return null;
    }
}
