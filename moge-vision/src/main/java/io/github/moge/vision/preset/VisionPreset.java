package io.github.moge.vision.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.loss.Loss;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.vision.model.swin.SwinTransformer;
import io.github.moge.vision.model.swin.SwinVersion;
import io.github.moge.vision.model.vit.VisionTransformer;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named model settings: the paper's vision runs (Table 8 and Table 10 of the MoGE paper, see DESIGN.md),
 * their MoE and dense baselines, the sparse-upcycled fine-tuning variants, and a small {@code *-fmnist}
 * family for Fashion-MNIST padded to 32 px that trains quickly on a CPU.
 *
 * <p>Naming: {@code <family>[-moe|-moge]-<size>-<dataset>[-ft]}, e.g. {@code vit-moge-s-cifar100},
 * {@code swinv2-moe-t-tinyimagenet}, {@code vit-s-imagenet} (dense), {@code swinv1-moge-t-imagenet-ft}.
 * Usage:
 *
 * <pre>{@code
 * VisionPreset preset = VisionPreset.get("vit-moge-s-cifar100");
 * Block net = preset.newModel(totalSteps);        // totalSteps drives the sigma schedule of MoGE layers
 * MoeLoss loss = preset.newLoss();                 // CE + 0.01 * balance + 0.01 * lambda * L_gs
 * trainer.initialize(preset.inputShape(batch));    // [B, channels, imageSize, imageSize]
 * }</pre>
 *
 * <p>The lambda of a preset is the raw per-layer weight of L_gs as the paper states it; the loss weight is
 * {@link #effectiveLambda()} = 0.01 * lambda because the vision reference scales the sum of the layers'
 * auxiliary terms by 0.01.
 */
public final class VisionPreset {

    /** The weight on the sum of the layers' auxiliary terms in the vision reference. */
    public static final float AUX_WEIGHT = 0.01f;

    /** The model family of a preset. */
    public enum Family {
        /** {@link VisionTransformer}. */
        VIT,
        /** {@link SwinTransformer} with {@link SwinVersion#V2}. */
        SWIN_V2,
        /** {@link SwinTransformer} with {@link SwinVersion#V1}. */
        SWIN_V1
    }

    /** The feed-forward kind of a preset. */
    public enum Kind {
        /** Dense feed-forward everywhere. */
        DENSE,
        /** MoE layers at the placement, no regularizer. */
        MOE,
        /** MoE layers with the group-sparse regularizer. */
        MOGE
    }

    private static final Map<String, VisionPreset> PRESETS = new LinkedHashMap<>();

    private final String name;
    private final Family family;
    private final Kind kind;
    private final String dataset;
    private final int imageSize;
    private final int channels;
    private final int classes;
    private final int patchSize;
    private final int width;
    private final int[] depths;
    private final int[] heads;
    private final int window;
    private final boolean padToWindow;
    private final float mlpRatio;
    private final float dropPath;
    private final String placementRule;
    private final List<Integer> moeLayers;
    private final int experts;
    private final int topK;
    private final float capacityFactor;
    private final float lambda;
    private final float sigmaMax;
    private final float sigmaMin;
    private final float sigmaPower;
    private final boolean referenceInitialization;

    private VisionPreset(Spec s, Kind kind, String name) {
        this.name = name;
        this.family = s.family;
        this.kind = kind;
        this.dataset = s.dataset;
        this.imageSize = s.imageSize;
        this.channels = s.channels;
        this.classes = s.classes;
        this.patchSize = s.patchSize;
        this.width = s.width;
        this.depths = s.depths.clone();
        this.heads = s.heads.clone();
        this.window = s.window;
        this.padToWindow = s.padToWindow;
        this.mlpRatio = s.mlpRatio;
        this.dropPath = s.dropPath;
        boolean sparse = kind != Kind.DENSE;
        this.placementRule = sparse ? s.placementRule : "-";
        this.moeLayers = sparse ? s.placement.getIndices() : List.of();
        this.experts = sparse ? s.experts : 0;
        this.topK = sparse ? 1 : 0;
        this.capacityFactor = sparse ? 4f : 0f;
        this.lambda = kind == Kind.MOGE ? s.lambda : 0f;
        this.sigmaMax = 10f;
        this.sigmaMin = s.sigmaMin;
        this.sigmaPower = 0.3f;
        this.referenceInitialization = s.referenceInitialization;
    }

    /** Settings shared by the dense, MoE and MoGE presets of one architecture and dataset. */
    private static final class Spec {
        Family family;
        String dataset;
        int imageSize;
        int channels = 3;
        int classes;
        int patchSize;
        int width;
        int[] depths;
        int[] heads;
        int window;
        boolean padToWindow;
        float mlpRatio = 4f;
        float dropPath = 0.1f;
        String placementRule;
        MoePlacement placement;
        int experts = 32;
        float lambda;
        float sigmaMin = 1.5f;
        boolean referenceInitialization = true;
    }

    private static Spec vit(String dataset, int image, int channels, int classes, int patch) {
        Spec s = new Spec();
        s.family = Family.VIT;
        s.dataset = dataset;
        s.imageSize = image;
        s.channels = channels;
        s.classes = classes;
        s.patchSize = patch;
        s.width = 512;
        s.depths = new int[] {8};
        s.heads = new int[] {8};
        s.placementRule = "last two even blocks";
        s.placement = MoePlacement.lastEven(8, 2);
        s.lambda = 4e-3f;
        return s;
    }

    private static Spec swin(Family family, String dataset, int image, int classes, int patch, int window) {
        Spec s = new Spec();
        s.family = family;
        s.dataset = dataset;
        s.imageSize = image;
        s.classes = classes;
        s.patchSize = patch;
        s.window = window;
        s.width = 96;
        s.depths = new int[] {2, 2, 6, 2};
        s.heads = new int[] {3, 6, 12, 24};
        s.placementRule = "alternate blocks of the last two stages";
        s.placement = MoePlacement.alternateInLastStages(s.depths, 2);
        s.lambda = 4e-3f;
        return s;
    }

    private static void lastBlocks(Spec s) {
        s.placementRule = "last block of each of the last two stages";
        s.placement = MoePlacement.lastBlockOfLastStages(s.depths, 2);
    }

    private static void register(String prefix, String size, String suffix, Spec s, Kind... kinds) {
        for (Kind kind : kinds) {
            String middle =
                    switch (kind) {
                        case DENSE -> "";
                        case MOE -> "-moe";
                        case MOGE -> "-moge";
                    };
            String name = prefix + middle + "-" + size + "-" + s.dataset + suffix;
            if (PRESETS.put(name, new VisionPreset(s, kind, name)) != null) {
                throw new IllegalStateException("duplicate preset " + name);
            }
        }
    }

    static {
        Kind[] all = {Kind.DENSE, Kind.MOE, Kind.MOGE};
        Kind[] sparse = {Kind.MOE, Kind.MOGE};

        register("vit", "s", "", vit("cifar100", 32, 3, 100, 4), all);
        register("swinv2", "t", "", swin(Family.SWIN_V2, "cifar100", 32, 100, 2, 4), all);

        register("vit", "s", "", vit("tinyimagenet", 64, 3, 200, 8), all);
        Spec swinTiny = swin(Family.SWIN_V2, "tinyimagenet", 64, 200, 4, 7);
        swinTiny.padToWindow = true; // 16x16 and 8x8 maps are not multiples of 7
        register("swinv2", "t", "", swinTiny, all);

        Spec vitImagenet = vit("imagenet", 224, 3, 1000, 16);
        vitImagenet.dropPath = 0f;
        vitImagenet.lambda = 5e-3f;
        vitImagenet.sigmaMin = 0.5f;
        register("vit", "s", "", vitImagenet, all);
        Spec swinImagenet = swin(Family.SWIN_V2, "imagenet", 192, 1000, 4, 12);
        lastBlocks(swinImagenet);
        swinImagenet.lambda = 0.4f;
        swinImagenet.sigmaMin = 0.5f;
        register("swinv2", "t", "", swinImagenet, all);

        // Sparse-upcycled fine-tuning from dense ImageNet checkpoints: ViT-S/16 (width 384, 12 blocks, 6 heads,
        // the dense vit-s-imagenet-ft) and swinv1-t-imagenet.
        Spec vitFinetune = vit("imagenet", 224, 3, 1000, 16);
        vitFinetune.width = 384;
        vitFinetune.depths = new int[] {12};
        vitFinetune.heads = new int[] {6};
        vitFinetune.placement = MoePlacement.lastEven(12, 2);
        vitFinetune.dropPath = 0f;
        vitFinetune.lambda = 4e-5f;
        vitFinetune.sigmaMin = 0.5f;
        register("vit", "s", "-ft", vitFinetune, all);
        Spec swinV1 = swin(Family.SWIN_V1, "imagenet", 224, 1000, 4, 7);
        lastBlocks(swinV1);
        swinV1.lambda = 4e-5f;
        swinV1.sigmaMin = 0.5f;
        register("swinv1", "t", "", swinV1, Kind.DENSE);
        register("swinv1", "t", "-ft", swinV1, sparse);

        // Fashion-MNIST padded to 32 px: small enough to train to > 70 % in minutes on a CPU.
        Spec vitFmnist = vit("fmnist", 32, 1, 10, 8);
        vitFmnist.width = 64;
        vitFmnist.depths = new int[] {4};
        vitFmnist.heads = new int[] {4};
        vitFmnist.mlpRatio = 2f;
        vitFmnist.dropPath = 0f;
        vitFmnist.placement = MoePlacement.lastEven(4, 2);
        vitFmnist.experts = 16;
        vitFmnist.referenceInitialization = false;
        register("vit", "xs", "", vitFmnist, all);
        Spec swinFmnist = swin(Family.SWIN_V2, "fmnist", 32, 10, 4, 4);
        swinFmnist.channels = 1;
        swinFmnist.width = 32;
        swinFmnist.depths = new int[] {2, 2};
        swinFmnist.heads = new int[] {2, 4};
        swinFmnist.mlpRatio = 2f;
        swinFmnist.dropPath = 0f;
        swinFmnist.placement = MoePlacement.alternateInLastStages(swinFmnist.depths, 2);
        swinFmnist.experts = 16;
        swinFmnist.referenceInitialization = false;
        register("swinv2", "xs", "", swinFmnist, all);
    }

    /**
     * Returns a preset by name.
     *
     * @param name the preset name
     * @return the preset
     * @throws IllegalArgumentException naming the known presets when there is none of that name
     */
    public static VisionPreset get(String name) {
        VisionPreset preset = PRESETS.get(name == null ? "" : name.toLowerCase(Locale.ROOT));
        if (preset == null) {
            throw new IllegalArgumentException(
                    "unknown vision preset '" + name + "'; known presets: " + String.join(", ", names()));
        }
        return preset;
    }

    /** Returns all preset names in a stable order (for {@code --help}). */
    public static List<String> names() {
        return List.copyOf(PRESETS.keySet());
    }

    /** Returns all presets in the order of {@link #names()}. */
    public static List<VisionPreset> all() {
        return List.copyOf(PRESETS.values());
    }

    /**
     * Builds the sigma schedule of a MoGE preset.
     *
     * @param totalSteps T, the optimizer steps of the whole run
     * @return the schedule, or null when the preset has no regularizer
     */
    public SigmaSchedule newSigmaSchedule(int totalSteps) {
        if (kind != Kind.MOGE) {
            return null;
        }
        return SigmaSchedule.builder()
                .setMax(sigmaMax)
                .setMin(sigmaMin)
                .setPower(sigmaPower)
                .setTotalSteps(totalSteps)
                .build();
    }

    /**
     * Builds the MoE settings of a sparse preset.
     *
     * @param totalSteps T for the sigma schedule (MoGE only)
     * @return the settings, or null for a dense preset
     */
    public MoeSettings newMoeSettings(int totalSteps) {
        if (kind == Kind.DENSE) {
            return null;
        }
        MoeSettings.Builder builder =
                MoeSettings.builder().setExperts(experts).optTopK(topK).optCapacityFactor(capacityFactor);
        if (kind == Kind.MOGE) {
            builder.optRegularizer(newSigmaSchedule(totalSteps));
        }
        return builder.build();
    }

    /**
     * Builds a freshly initialisable model of this preset, with the reference's initialisation ({@link
     * ReferenceInitialization}) unless {@link #usesReferenceInitialization()} says otherwise.
     *
     * @param totalSteps T, the optimizer steps of the run (drives the sigma schedule of MoGE layers; any
     *     positive value for dense and MoE presets)
     * @return the model block; output {@code (logits, terms...)} in training, {@code (logits)} otherwise
     */
    public Block newModel(int totalSteps) {
        Block model = newArchitecture(totalSteps);
        return referenceInitialization ? ReferenceInitialization.apply(model) : model;
    }

    /**
     * Returns whether {@link #newModel} sets the reference's initialisation: true for every published
     * preset; the project's small Fashion-MNIST presets ({@code *-xs-fmnist}) keep DJL's defaults, with
     * which their few-minute CPU runs reach over 70 % (with std 0.02 they reach 0.57 to 0.66 in the same
     * steps, and the zeroed Swin V2 post-norms leave the block bodies without gradient at step 0).
     *
     * @return whether the model gets {@link ReferenceInitialization}
     */
    public boolean usesReferenceInitialization() {
        return referenceInitialization;
    }

    private Block newArchitecture(int totalSteps) {
        MoeSettings moe = newMoeSettings(totalSteps);
        if (family == Family.VIT) {
            return VisionTransformer.builder()
                    .setImageSize(imageSize)
                    .setPatchSize(patchSize)
                    .setWidth(width)
                    .setDepth(depths[0])
                    .setHeads(heads[0])
                    .setClasses(classes)
                    .optMlpRatio(mlpRatio)
                    .optDropPath(dropPath)
                    .optMoe(moe)
                    .optMoeLayers(moeLayers)
                    .build();
        }
        return SwinTransformer.builder()
                .optVersion(family == Family.SWIN_V2 ? SwinVersion.V2 : SwinVersion.V1)
                .setImageSize(imageSize)
                .setPatchSize(patchSize)
                .setEmbedDim(width)
                .setDepths(depths)
                .setHeads(heads)
                .setWindowSize(window)
                .setClasses(classes)
                .optMlpRatio(mlpRatio)
                .optDropPath(dropPath)
                .optPadToWindow(padToWindow)
                .optMoe(moe)
                .optMoeLayers(moeLayers)
                .build();
    }

    /**
     * Builds the training loss: softmax cross-entropy on the logits plus {@link #AUX_WEIGHT} times the
     * balancing losses and {@link #effectiveLambda()} times the L_gs terms of all layers.
     *
     * @return the loss
     */
    public MoeLoss newLoss() {
        return MoeLoss.builder()
                .setBaseLoss(Loss.softmaxCrossEntropyLoss())
                .optBalanceWeight(kind == Kind.DENSE ? 0f : AUX_WEIGHT)
                .optGroupSparseWeight(effectiveLambda())
                .build();
    }

    /**
     * Returns the model's input shape for a batch size.
     *
     * @param batch B
     * @return [B, channels, imageSize, imageSize]
     */
    public Shape inputShape(int batch) {
        return new Shape(batch, channels, imageSize, imageSize);
    }

    /** Returns the weight of L_gs in the loss: 0.01 * lambda (0 unless MoGE). */
    public float effectiveLambda() {
        return AUX_WEIGHT * lambda;
    }

    /** Returns a one-line description for {@code --help}. */
    public String summary() {
        String arch =
                family == Family.VIT
                        ? String.format(Locale.ROOT, "ViT p%d d%d L%d h%d", patchSize, width, depths[0], heads[0])
                        : String.format(
                                Locale.ROOT,
                                "Swin%s p%d C%d depths %s heads %s w%d",
                                family == Family.SWIN_V2 ? "V2" : "V1",
                                patchSize,
                                width,
                                Arrays.toString(depths),
                                Arrays.toString(heads),
                                window);
        String moe =
                kind == Kind.DENSE
                        ? "dense"
                        : String.format(
                                Locale.ROOT,
                                "%s E=%d k=%d C=%s at %s%s",
                                kind == Kind.MOGE ? "MoGE" : "MoE",
                                experts,
                                topK,
                                trim(capacityFactor),
                                moeLayers,
                                kind == Kind.MOGE
                                        ? String.format(
                                                Locale.ROOT,
                                                " lambda=%s (eff. %s) sigma %s->%s p=%s",
                                                trim(lambda),
                                                trim(effectiveLambda()),
                                                trim(sigmaMax),
                                                trim(sigmaMin),
                                                trim(sigmaPower))
                                        : "");
        return String.format(
                Locale.ROOT,
                "%s: %s %dpx x%d -> %d classes, %s, %s",
                name,
                dataset,
                imageSize,
                channels,
                classes,
                arch,
                moe);
    }

    /** Returns a Markdown table of all presets (the one in docs/vision.md). */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| preset | image | ch | classes | patch | width | depth | heads | window | MoE blocks |")
                .append(" E | k | C | lambda (raw) | lambda (eff.) | sigma max/min/p |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (VisionPreset p : PRESETS.values()) {
            boolean sparse = p.kind != Kind.DENSE;
            boolean moge = p.kind == Kind.MOGE;
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| `%s` | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                            p.name,
                            p.imageSize,
                            p.channels,
                            p.classes,
                            p.patchSize,
                            p.width,
                            join(p.depths),
                            join(p.heads),
                            p.family == Family.VIT ? "-" : p.window + (p.padToWindow ? " (padded)" : ""),
                            sparse ? p.moeLayers + " (" + p.placementRule + ")" : "-",
                            sparse ? Integer.toString(p.experts) : "-",
                            sparse ? Integer.toString(p.topK) : "-",
                            sparse ? trim(p.capacityFactor) : "-",
                            moge ? trim(p.lambda) : "-",
                            moge ? trim(p.effectiveLambda()) : "-",
                            moge ? trim(p.sigmaMax) + " / " + trim(p.sigmaMin) + " / " + trim(p.sigmaPower) : "-"));
        }
        return sb.toString();
    }

    private static String join(int[] values) {
        List<String> parts = new ArrayList<>();
        for (int v : values) {
            parts.add(Integer.toString(v));
        }
        return String.join(",", parts);
    }

    /** Four significant digits, plain notation, no trailing zeros (0.01 * 4e-3 prints as 0.00004). */
    private static String trim(float value) {
        return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** Returns the name. */
    public String getName() {
        return name;
    }

    /** Returns the model family. */
    public Family getFamily() {
        return family;
    }

    /** Returns dense, MoE or MoGE. */
    public Kind getKind() {
        return kind;
    }

    /** Returns the dataset key (cifar100, tinyimagenet, imagenet, fmnist). */
    public String getDataset() {
        return dataset;
    }

    /** Returns the square image size in pixels. */
    public int getImageSize() {
        return imageSize;
    }

    /** Returns the number of input channels. */
    public int getChannels() {
        return channels;
    }

    /** Returns the number of classes. */
    public int getClasses() {
        return classes;
    }

    /** Returns the patch size. */
    public int getPatchSize() {
        return patchSize;
    }

    /** Returns the width (ViT) or first-stage width (Swin). */
    public int getWidth() {
        return width;
    }

    /** Returns the depth ({1 entry} for ViT, blocks per stage for Swin). */
    public int[] getDepths() {
        return depths.clone();
    }

    /** Returns the stochastic depth rate of the last block (it grows linearly from 0). */
    public float getDropPath() {
        return dropPath;
    }

    /** Returns the heads per stage (one entry for ViT). */
    public int[] getHeads() {
        return heads.clone();
    }

    /** Returns the window size (0 for ViT). */
    public int getWindow() {
        return window;
    }

    /** Returns the indices of the blocks with MoE layers (empty for dense). */
    public List<Integer> getMoeLayers() {
        return Collections.unmodifiableList(moeLayers);
    }

    /** Returns the placement rule in words. */
    public String getPlacementRule() {
        return placementRule;
    }

    /** Returns E (0 for dense). */
    public int getExperts() {
        return experts;
    }

    /** Returns k (0 for dense). */
    public int getTopK() {
        return topK;
    }

    /** Returns the capacity factor C (0 for dense). */
    public float getCapacityFactor() {
        return capacityFactor;
    }

    /** Returns the raw lambda (0 unless MoGE). */
    public float getLambda() {
        return lambda;
    }

    /** Returns sigma max. */
    public float getSigmaMax() {
        return sigmaMax;
    }

    /** Returns sigma min. */
    public float getSigmaMin() {
        return sigmaMin;
    }

    /** Returns the power p of the sigma schedule. */
    public float getSigmaPower() {
        return sigmaPower;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return summary();
    }
}
