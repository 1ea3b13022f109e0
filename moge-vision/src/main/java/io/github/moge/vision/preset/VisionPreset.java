package io.github.moge.vision.preset;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.loss.Loss;
import io.github.moge.core.MoeBlock;
import io.github.moge.core.MoeLoss;
import io.github.moge.core.SigmaSchedule;
import io.github.moge.core.balance.ImportanceLoadLoss;
import io.github.moge.vision.model.MoePlacement;
import io.github.moge.vision.model.ReferenceInitialization;
import io.github.moge.vision.model.VisionMoe;
import io.github.moge.vision.model.swin.SwinTransformer;
import io.github.moge.vision.model.swin.SwinVersion;
import io.github.moge.vision.model.vit.VisionTransformer;
import io.github.moge.vision.train.VisionRecipe;
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
 * Named model settings: the paper's vision runs (Table 8 and Table 10 of the MoGE paper, see
 * docs/fidelity.md), their MoE and dense baselines, the sparse-upcycled fine-tuning variants, and a
 * small {@code *-fmnist} family for Fashion-MNIST padded to 32 px that trains quickly on a CPU.
 *
 * <p>Naming: {@code <family>[-moe|-moge]-<size>-<dataset>[-ft]}, e.g. {@code vit-moge-s-cifar100},
 * {@code swinv2-moe-t-tinyimagenet}, {@code vit-s-imagenet} (dense), {@code
 * swinv1-moge-t-imagenet-ft}. Usage:
 *
 * <pre>{@code
 * VisionPreset preset = VisionPreset.get("vit-moge-s-cifar100");
 * Block net = preset.newModel(totalSteps);        // totalSteps: the sigma schedule of MoGE layers
 * MoeLoss loss = preset.newLoss();                 // CE + 0.01 * balance + 0.01 * lambda * L_gs
 * VisionRecipe recipe = preset.recipe();           // epochs, batch, augmentations of its dataset
 * trainer.initialize(preset.inputShape(batch));    // [B, channels, imageSize, imageSize]
 * }</pre>
 *
 * <p>A run that changes E, k or lambda passes {@link Overrides} ({@code newModel(totalSteps,
 * overrides)}, {@code newLoss(baseLoss, overrides)}); every other value stays the preset's.
 *
 * <p>The lambda of a preset is the raw per-layer weight of L_gs as the paper states it; the loss
 * weight is {@link #effectiveLambda()} = 0.01 * lambda because the vision reference scales the sum
 * of the layers' auxiliary terms by 0.01.
 *
 * <p>Its length is the table of every published and project preset with their {@link Overrides};
 * building from a row is short.
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
    private final SigmaSchedule.Setting sigma;
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
        this.topK = sparse ? VisionMoe.TOP_K : 0;
        this.capacityFactor = sparse ? VisionMoe.CAPACITY_FACTOR : 0f;
        this.lambda = kind == Kind.MOGE ? s.lambda : 0f;
        this.sigma = s.sigma;
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
        SigmaSchedule.Setting sigma = SigmaSchedule.VISION;
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

    private static Spec swin(
            Family family, String dataset, int image, int classes, int patch, int window) {
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
        vitImagenet.sigma = SigmaSchedule.VISION_IMAGENET;
        register("vit", "s", "", vitImagenet, all);
        Spec swinImagenet = swin(Family.SWIN_V2, "imagenet", 192, 1000, 4, 12);
        lastBlocks(swinImagenet);
        swinImagenet.lambda = 0.4f;
        swinImagenet.sigma = SigmaSchedule.VISION_IMAGENET;
        register("swinv2", "t", "", swinImagenet, all);

        // Sparse-upcycled fine-tuning from dense ImageNet checkpoints: ViT-S/16 (width 384, 12
        // blocks, 6 heads,
        // the dense vit-s-imagenet-ft) and swinv1-t-imagenet.
        Spec vitFinetune = vit("imagenet", 224, 3, 1000, 16);
        vitFinetune.width = 384;
        vitFinetune.depths = new int[] {12};
        vitFinetune.heads = new int[] {6};
        vitFinetune.placement = MoePlacement.lastEven(12, 2);
        vitFinetune.dropPath = 0f;
        vitFinetune.lambda = 4e-5f;
        vitFinetune.sigma = SigmaSchedule.VISION_IMAGENET;
        register("vit", "s", "-ft", vitFinetune, all);
        Spec swinV1 = swin(Family.SWIN_V1, "imagenet", 224, 1000, 4, 7);
        lastBlocks(swinV1);
        swinV1.lambda = 4e-5f;
        swinV1.sigma = SigmaSchedule.VISION_IMAGENET;
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
                    "unknown vision preset '"
                            + name
                            + "'; known presets: "
                            + String.join(", ", names()));
        }
        return preset;
    }

    /** {@return all preset names in a stable order (for {@code --help})} */
    public static List<String> names() {
        return List.copyOf(PRESETS.keySet());
    }

    /** {@return all presets in the order of {@link #names()}} */
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
        return kind == Kind.MOGE ? sigma.over(totalSteps) : null;
    }

    /**
     * Returns the template of the preset's MoE layers ({@link VisionMoe}), with E, k and the load
     * form of the overrides.
     *
     * @param totalSteps T for the sigma schedule (MoGE only)
     * @param overrides the run's overrides
     * @return the template, or null for a dense preset
     * @throws IllegalArgumentException if a dense preset is given an E, k or load form of its own
     */
    public MoeBlock.Builder newMoeLayer(int totalSteps, Overrides overrides) {
        int e = overrides.experts != null ? overrides.experts : experts;
        int k = overrides.topK != null ? overrides.topK : topK;
        if (kind == Kind.DENSE) {
            if (e != experts || k != topK || overrides.loadForm != null) {
                throw new IllegalArgumentException(
                        "experts, top-k and load-form overrides need a MoE or MoGE preset; "
                                + name
                                + " is dense");
            }
            return null;
        }
        MoeBlock.Builder layer =
                kind == Kind.MOGE
                        ? VisionMoe.moge(e, newSigmaSchedule(totalSteps))
                        : VisionMoe.moe(e);
        if (overrides.loadForm != null) {
            layer.optBalanceLoss(
                    ImportanceLoadLoss.builder().optLoadForm(overrides.loadForm).build());
        }
        return layer.optTopK(k).optCapacityFactor(capacityFactor);
    }

    /**
     * Builds a freshly initialisable model of this preset, with the reference's initialisation
     * ({@link ReferenceInitialization}) unless {@link #usesReferenceInitialization()} says
     * otherwise.
     *
     * @param totalSteps T, the optimizer steps of the run (drives the sigma schedule of MoGE
     *     layers; any positive value for dense and MoE presets)
     * @return the model block; output {@code (logits, terms...)} in training, {@code (logits)}
     *     otherwise
     */
    public Block newModel(int totalSteps) {
        return newModel(totalSteps, Overrides.NONE);
    }

    /**
     * Builds the model of a run that overrides some of the preset's values: the same architecture,
     * placement, MLP ratio, drop path, window padding and initialisation as {@link #newModel(int)},
     * with E and k of the overrides in every MoE layer.
     *
     * @param totalSteps T, the optimizer steps of the run
     * @param overrides the values the run changes; {@link Overrides#NONE} gives {@link
     *     #newModel(int)}
     * @return the model block
     * @throws IllegalArgumentException if a dense preset is given an E or k of its own
     */
    public Block newModel(int totalSteps, Overrides overrides) {
        Block model = newArchitecture(newMoeLayer(totalSteps, overrides));
        return referenceInitialization ? ReferenceInitialization.apply(model) : model;
    }

    /**
     * Returns whether {@link #newModel} sets the reference's initialisation: true for every
     * published preset; the project's small Fashion-MNIST presets ({@code *-xs-fmnist}) keep DJL's
     * defaults, with which their few-minute CPU runs reach over 70 % (with std 0.02 they reach 0.57
     * to 0.66 in the same steps, and the zeroed Swin V2 post-norms leave the block bodies without
     * gradient at step 0).
     *
     * @return whether the model gets {@link ReferenceInitialization}
     */
    public boolean usesReferenceInitialization() {
        return referenceInitialization;
    }

    private Block newArchitecture(MoeBlock.Builder moe) {
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
     * Builds the training loss: softmax cross-entropy on the logits plus {@link #AUX_WEIGHT} times
     * the balancing losses and {@link #effectiveLambda()} times the L_gs terms of all layers.
     *
     * @return the loss
     */
    public MoeLoss newLoss() {
        return newLoss(Loss.softmaxCrossEntropyLoss(), Overrides.NONE);
    }

    /**
     * Builds the training loss of a run: {@code baseLoss} on the logits plus {@link #AUX_WEIGHT}
     * times the balancing losses and {@link #AUX_WEIGHT} times the overrides' lambda (or the
     * preset's) times the L_gs terms.
     *
     * @param baseLoss the loss on the logits, e.g. a soft-target cross-entropy
     * @param overrides the run's overrides
     * @return the loss
     * @throws IllegalArgumentException if a preset without regularizer is given a lambda of its own
     */
    public MoeLoss newLoss(Loss baseLoss, Overrides overrides) {
        if (overrides.lambda != null && kind != Kind.MOGE && overrides.lambda != lambda) {
            throw new IllegalArgumentException(
                    "a lambda override needs a MoGE preset; " + name + " has no regularizer");
        }
        float raw = overrides.lambda != null ? overrides.lambda : lambda;
        return MoeLoss.builder()
                .setBaseLoss(baseLoss)
                .optBalanceWeight(kind == Kind.DENSE ? 0f : AUX_WEIGHT)
                .optGroupSparseWeight(AUX_WEIGHT * raw)
                .build();
    }

    /**
     * Returns the training recipe of the preset's own dataset.
     *
     * @return the recipe
     */
    public VisionRecipe recipe() {
        return recipe(dataset);
    }

    /**
     * Returns the training recipe of this preset on a dataset, which may be another than its own
     * (the {@code -ft} presets get the fine-tuning recipe, the crop padding follows the image
     * size).
     *
     * @param dataset fmnist, cifar100, tiny-imagenet (or tinyimagenet) or imagenet
     * @return the recipe
     * @throws IllegalArgumentException for an unknown dataset
     */
    public VisionRecipe recipe(String dataset) {
        return VisionRecipe.of(dataset, name.endsWith("-ft"), imageSize);
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

    /** {@return the weight of L_gs in the loss: 0.01 * lambda (0 unless MoGE)} */
    public float effectiveLambda() {
        return AUX_WEIGHT * lambda;
    }

    /** {@return a one-line description for {@code --help}} */
    public String summary() {
        String arch =
                family == Family.VIT
                        ? String.format(
                                Locale.ROOT,
                                "ViT p%d d%d L%d h%d",
                                patchSize,
                                width,
                                depths[0],
                                heads[0])
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
                                                trim(sigma.max()),
                                                trim(sigma.min()),
                                                trim(sigma.power()))
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

    /** {@return a Markdown table of all presets (the one in docs/vision.md)} */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(
                        "| preset | image | ch | classes | patch | width | depth | heads | window |"
                                + " MoE blocks |")
                .append(" E | k | C | lambda (raw) | lambda (eff.) | sigma max/min/p |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (VisionPreset p : PRESETS.values()) {
            boolean sparse = p.kind != Kind.DENSE;
            boolean moge = p.kind == Kind.MOGE;
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| `%s` | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |"
                                    + " %s | %s | %s |\n",
                            p.name,
                            p.imageSize,
                            p.channels,
                            p.classes,
                            p.patchSize,
                            p.width,
                            join(p.depths),
                            join(p.heads),
                            p.family == Family.VIT
                                    ? "-"
                                    : p.window + (p.padToWindow ? " (padded)" : ""),
                            sparse ? p.moeLayers + " (" + p.placementRule + ")" : "-",
                            sparse ? Integer.toString(p.experts) : "-",
                            sparse ? Integer.toString(p.topK) : "-",
                            sparse ? trim(p.capacityFactor) : "-",
                            moge ? trim(p.lambda) : "-",
                            moge ? trim(p.effectiveLambda()) : "-",
                            moge
                                    ? trim(p.sigma.max())
                                            + " / "
                                            + trim(p.sigma.min())
                                            + " / "
                                            + trim(p.sigma.power())
                                    : "-"));
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

    /**
     * Four significant digits, plain notation, no trailing zeros (0.01 * 4e-3 prints as 0.00004).
     */
    private static String trim(float value) {
        return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** {@return the name} */
    public String getName() {
        return name;
    }

    /** {@return the model family} */
    public Family getFamily() {
        return family;
    }

    /** {@return dense, MoE or MoGE} */
    public Kind getKind() {
        return kind;
    }

    /** {@return the dataset key (cifar100, tinyimagenet, imagenet, fmnist)} */
    public String getDataset() {
        return dataset;
    }

    /** {@return the square image size in pixels} */
    public int getImageSize() {
        return imageSize;
    }

    /** {@return the number of input channels} */
    public int getChannels() {
        return channels;
    }

    /** {@return the number of classes} */
    public int getClasses() {
        return classes;
    }

    /** {@return the patch size} */
    public int getPatchSize() {
        return patchSize;
    }

    /** {@return the width (ViT) or first-stage width (Swin)} */
    public int getWidth() {
        return width;
    }

    /** {@return the depth ({1 entry} for ViT, blocks per stage for Swin)} */
    public int[] getDepths() {
        return depths.clone();
    }

    /** {@return the stochastic depth rate of the last block (it grows linearly from 0)} */
    public float getDropPath() {
        return dropPath;
    }

    /** {@return the heads per stage (one entry for ViT)} */
    public int[] getHeads() {
        return heads.clone();
    }

    /** {@return the window size (0 for ViT)} */
    public int getWindow() {
        return window;
    }

    /** {@return the indices of the blocks with MoE layers (empty for dense)} */
    public List<Integer> getMoeLayers() {
        return Collections.unmodifiableList(moeLayers);
    }

    /** {@return the placement rule in words} */
    public String getPlacementRule() {
        return placementRule;
    }

    /** {@return E (0 for dense)} */
    public int getExperts() {
        return experts;
    }

    /** {@return k (0 for dense)} */
    public int getTopK() {
        return topK;
    }

    /** {@return the capacity factor C (0 for dense)} */
    public float getCapacityFactor() {
        return capacityFactor;
    }

    /** {@return the raw lambda (0 unless MoGE)} */
    public float getLambda() {
        return lambda;
    }

    /** {@return sigma max} */
    public float getSigmaMax() {
        return sigma.max();
    }

    /** {@return sigma min} */
    public float getSigmaMin() {
        return sigma.min();
    }

    /** {@return the power p of the sigma schedule} */
    public float getSigmaPower() {
        return sigma.power();
    }

    /** {@return the sigma schedule's max, min and p (used only by MoGE presets)} */
    public SigmaSchedule.Setting getSigma() {
        return sigma;
    }

    /** {@return the feed-forward hidden width as a multiple of the width} */
    public float getMlpRatio() {
        return mlpRatio;
    }

    /**
     * {@return whether Swin stages whose map the window does not tile are zero-padded (false for
     * ViT)}
     */
    public boolean isPadToWindow() {
        return padToWindow;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return summary();
    }

    /**
     * The values a run may change on a preset: E and k of the MoE layers and the form of their load
     * term (for {@link #newModel(int, Overrides)}) and the raw lambda of L_gs (for {@link
     * #newLoss(Loss, Overrides)}). Each one left unset, or set to the preset's own value, keeps the
     * preset's; everything else (architecture, placement, MLP ratio, drop path, capacity factor,
     * sigma schedule, initialisation) is always the preset's. Immutable: every {@code with} method
     * returns a new value.
     */
    public static final class Overrides {

        /** No override: the preset as published. */
        public static final Overrides NONE = new Overrides(null, null, null, null);

        private final Integer experts;
        private final Integer topK;
        private final Float lambda;
        private final ImportanceLoadLoss.LoadForm loadForm;

        private Overrides(
                Integer experts, Integer topK, Float lambda, ImportanceLoadLoss.LoadForm loadForm) {
            if (experts != null && experts < 1) {
                throw new IllegalArgumentException("experts must be >= 1, got " + experts);
            }
            if (topK != null && topK < 1) {
                throw new IllegalArgumentException("topK must be >= 1, got " + topK);
            }
            if (lambda != null && !(lambda >= 0 && Float.isFinite(lambda))) {
                throw new IllegalArgumentException("lambda must be finite and >= 0, got " + lambda);
            }
            this.experts = experts;
            this.topK = topK;
            this.lambda = lambda;
            this.loadForm = loadForm;
        }

        /**
         * Returns overrides from optional values, as a command holds them.
         *
         * @param experts E, or null for the preset's
         * @param topK k, or null for the preset's
         * @param lambda the raw lambda of L_gs, or null for the preset's
         * @return the overrides
         */
        public static Overrides of(Integer experts, Integer topK, Float lambda) {
            return new Overrides(experts, topK, lambda, null);
        }

        /**
         * Sets E.
         *
         * @param experts E, at least 1
         * @return the changed overrides
         */
        public Overrides withExperts(int experts) {
            return new Overrides(experts, topK, lambda, loadForm);
        }

        /**
         * Sets k.
         *
         * @param topK k, 1..E
         * @return the changed overrides
         */
        public Overrides withTopK(int topK) {
            return new Overrides(experts, topK, lambda, loadForm);
        }

        /**
         * Sets the raw lambda of L_gs (the loss weight is {@link #AUX_WEIGHT} times it).
         *
         * @param lambda finite and &gt;= 0
         * @return the changed overrides
         */
        public Overrides withLambda(float lambda) {
            return new Overrides(experts, topK, lambda, loadForm);
        }

        /**
         * Sets the form of the balancing loss's load term (the presets': {@link
         * ImportanceLoadLoss.LoadForm#V_MOE}, the paper's citation; {@link
         * ImportanceLoadLoss.LoadForm#TUTEL} matches the authors' runs).
         *
         * @param loadForm the form, not null
         * @return the changed overrides
         */
        public Overrides withLoadForm(ImportanceLoadLoss.LoadForm loadForm) {
            if (loadForm == null) {
                throw new IllegalArgumentException("loadForm must not be null");
            }
            return new Overrides(experts, topK, lambda, loadForm);
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return "Overrides[experts="
                    + experts
                    + ", topK="
                    + topK
                    + ", lambda="
                    + lambda
                    + ", loadForm="
                    + loadForm
                    + "]";
        }
    }
}
