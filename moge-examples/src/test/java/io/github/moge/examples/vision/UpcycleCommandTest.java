package io.github.moge.examples.vision;

import static io.github.moge.examples.CliRun.moge;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.moge.vision.data.FashionMnistDataset;
import io.github.moge.vision.preset.VisionPreset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-vision --upcycle-from}: a MoGE run started from a finished dense run on real
 * Fashion-MNIST holds, before it has learned anything (one step at a learning rate of 1e-30), every
 * parameter of the dense model and E identical experts; sources that cannot fill the sparse model
 * are refused in one line before anything trains.
 */
class UpcycleCommandTest {

    @TempDir Path temp;

    private static String[] run(Path output, String preset, String... more) {
        String[] base = {
            "train-vision",
            "--preset",
            preset,
            "--epochs",
            "1",
            "--train-limit",
            "128",
            "--batch-size",
            "128",
            "--test-limit",
            "64",
            "--output",
            output.toString(),
            "--no-progress"
        };
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static Map<String, NDArray> parameters(Block block) {
        Map<String, NDArray> out = new HashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            out.put(p.getKey(), p.getValue().getArray());
        }
        return out;
    }

    @Test
    void aSparseRunStartsFromTheDenseModelAndBadSourcesAreRefused() throws Exception {
        assumeTrue(
                Files.isDirectory(Path.of(FashionMnistDataset.SYSTEM_DATA_DIR)),
                "Fashion-MNIST not installed");
        Path dense = temp.resolve("dense");
        String trained = moge(run(dense, "vit-xs-fmnist"));
        assertTrue(trained.startsWith("0\n"), trained);

        Path sparse = temp.resolve("sparse");
        String upcycled =
                moge(
                        run(
                                sparse,
                                "vit-moge-xs-fmnist",
                                "--upcycle-from",
                                dense.toString(),
                                "--lr",
                                "1e-30",
                                "--min-lr",
                                "0",
                                "--warmup-epochs",
                                "0"));
        assertTrue(upcycled.startsWith("0\n"), upcycled);
        assertTrue(
                upcycled.contains(
                        "Upcycled from "
                                + dense
                                + " (vit-xs-fmnist): 2 MoE layers from its feed-forwards"),
                upcycled);

        try (TrainedVisionRun denseRun = TrainedVisionRun.open(dense, null, Device.cpu());
                TrainedVisionRun sparseRun = TrainedVisionRun.open(sparse, null, Device.cpu())) {
            Map<String, NDArray> d = parameters(denseRun.getModel().getBlock());
            Map<String, NDArray> s = parameters(sparseRun.getModel().getBlock());
            int shared = 0;
            int stacked = 0;
            for (Map.Entry<String, NDArray> e : s.entrySet()) {
                NDArray a = e.getValue();
                if (d.containsKey(e.getKey())) {
                    assertArrayEquals(
                            d.get(e.getKey()).toFloatArray(), a.toFloatArray(), e.getKey());
                    shared++;
                } else if (a.getShape().dimension() >= 2
                        && a.getShape().get(0) == 16
                        && e.getKey().contains("experts")) {
                    // 16 experts, all the same dense feed-forward
                    float[] first = a.get(0).toFloatArray();
                    for (int k = 1; k < 16; k++) {
                        assertArrayEquals(first, a.get(k).toFloatArray(), e.getKey() + " " + k);
                    }
                    stacked++;
                }
            }
            assertTrue(shared > 20, "shared parameters copied: " + shared);
            assertEquals(8, stacked, "w1, b1, w2, b2 of 2 MoE layers");
        }
        // The saved setting does not stop a resume of the finished run (nothing is re-read).
        String config = Files.readString(sparse.resolve("config.json"));
        assertTrue(config.contains("\"upcycle_from\": \"" + dense + "\""), config);

        // Refusals: one line, exit 2, before a run directory is written.
        String denseTarget =
                moge(run(temp.resolve("x1"), "vit-xs-fmnist", "--upcycle-from", dense.toString()));
        assertTrue(
                denseTarget.startsWith("2\n")
                        && denseTarget.contains("--upcycle-from needs an MoE or MoGE preset"),
                denseTarget);
        String fromSparse =
                moge(
                        run(
                                temp.resolve("x2"),
                                "vit-moe-xs-fmnist",
                                "--upcycle-from",
                                sparse.toString()));
        assertTrue(
                fromSparse.startsWith("2\n")
                        && fromSparse.contains(
                                "is a run of vit-moge-xs-fmnist, which is not dense: upcycle from a"
                                        + " run of a dense preset such as vit-xs-fmnist"),
                fromSparse);
        Path swin = temp.resolve("swin");
        try (Model other = Model.newInstance("swin")) {
            VisionPreset p = VisionPreset.get("swinv2-xs-fmnist");
            other.setBlock(p.newModel(1));
            other.getBlock().initialize(other.getNDManager(), DataType.FLOAT32, p.inputShape(1));
            other.save(swin, "swin");
        }
        Path file = swin.resolve("swin-0000.params");
        String wrong =
                moge(
                        run(
                                temp.resolve("x3"),
                                "vit-moge-xs-fmnist",
                                "--upcycle-from",
                                file.toString()));
        assertTrue(
                wrong.startsWith("2\n")
                        && wrong.contains(
                                "--upcycle-from "
                                        + file
                                        + " does not fit the dense preset vit-xs-fmnist"),
                wrong);
        assertFalse(wrong.contains("\tat "), "no stack trace: " + wrong);
        String missing =
                moge(
                        run(
                                temp.resolve("x4"),
                                "vit-moge-xs-fmnist",
                                "--upcycle-from",
                                temp.resolve("nothing").toString()));
        assertTrue(missing.startsWith("2\n") && missing.contains("does not exist"), missing);
        for (String dir : new String[] {"x1", "x2", "x3", "x4"}) {
            assertFalse(Files.exists(temp.resolve(dir).resolve("config.json")), dir);
        }
    }
}
