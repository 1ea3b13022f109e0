package io.github.moge.examples.vision;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.Translator;
import io.github.moge.core.training.TrainingRun;
import io.github.moge.core.training.log.EpochRecord;
import io.github.moge.examples.training.CommandSettings;
import io.github.moge.vision.data.LocalImageDataset;
import io.github.moge.vision.inference.ImageClassifierTranslator;
import io.github.moge.vision.train.AccuracyCounter;
import io.github.moge.vision.train.EpochMetrics;
import io.github.moge.vision.train.VisionTrainer;
import io.github.moge.vision.transform.AugmentationPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A finished {@code train-vision} run loaded for use: the block its {@code config.json} describes,
 * with the final parameters of {@code RUN/model/} in a DJL {@link Model}, and the run's test split
 * (class names, image shape, evaluation batches). {@link #newTranslator()} classifies images as the
 * run's evaluation did; {@link #evaluate()} re-computes the run's test Acc@1 / Acc@5 from the saved
 * model ({@link #recorded()} is what the run wrote after its last epoch).
 *
 * <pre>{@code
 * try (TrainedVisionRun run = TrainedVisionRun.open(Path.of("runs/fmnist"), null, Device.cpu());
 *         Predictor<Image, Classifications> predictor =
 *                 run.getModel().newPredictor(run.newTranslator())) {
 *     Classifications top = predictor.predict(ImageFactory.getInstance().fromFile(file));
 *     System.out.println(top.topK(5));
 * }
 * }</pre>
 */
public final class TrainedVisionRun implements AutoCloseable {

    private final Path runDirectory;
    private final VisionRunSettings settings;
    private final VisionRunModel resolved;
    private final LocalImageDataset test;
    private final AugmentationPipeline pipeline;
    private final Model model;

    private TrainedVisionRun(
            Path runDirectory,
            VisionRunSettings settings,
            VisionRunModel resolved,
            LocalImageDataset test,
            Model model) {
        this.runDirectory = runDirectory;
        this.settings = settings;
        this.resolved = resolved;
        this.test = test;
        this.pipeline = resolved.evaluationPipeline(test.getImageShape());
        this.model = model;
    }

    /**
     * Loads a finished run.
     *
     * @param runDirectory the run's {@code --output} directory
     * @param data the data directory to read the test split from, or null for the one the run
     *     recorded when it started
     * @param device where the model runs
     * @return the loaded run (close it)
     * @throws IOException if the directory holds no finished {@code train-vision} run, its model
     *     does not fit the settings, or the test split cannot be read
     */
    public static TrainedVisionRun open(Path runDirectory, Path data, Device device)
            throws IOException {
        VisionRunSettings s =
                CommandSettings.readRun(
                        runDirectory, VisionRunSettings.COMMAND, VisionRunSettings.class);
        Path parameters = modelFile(runDirectory);
        VisionRunModel resolved = VisionRunModel.of(s);
        Path location =
                data != null
                        ? data
                        : TrainVisionCommand.dataLocation(
                                TrainingRun.resumeData(runDirectory), "test", s.data());
        LocalImageDataset test = resolved.openData(location, Dataset.Usage.TEST);
        // The sigma schedule's length only matters to training; inference never computes L_gs.
        Block block = resolved.preset().newModel(1, resolved.overrides());
        Model model = Model.newInstance(VisionTrainer.MODEL_NAME, device);
        try {
            model.setBlock(block);
            block.initialize(
                    model.getNDManager(), DataType.FLOAT32, resolved.preset().inputShape(1));
            model.load(parameters.getParent(), TrainingRun.MODEL_PREFIX);
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(
                    parameters
                            + " does not fit the model its config.json describes ("
                            + resolved.preset().getName()
                            + "): "
                            + e.getMessage(),
                    e);
        }
        return new TrainedVisionRun(runDirectory, s, resolved, test, model);
    }

    /**
     * Returns the parameter file of a finished run, or says why there is none.
     *
     * @param runDirectory the run directory
     * @return {@code RUN/model/model-0000.params}
     * @throws IOException if the run has not finished
     */
    static Path modelFile(Path runDirectory) throws IOException {
        Path file =
                runDirectory.resolve(TrainingRun.MODEL_DIRECTORY).resolve(TrainingRun.MODEL_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "no trained model in "
                            + runDirectory
                            + " ("
                            + file.getFileName()
                            + " is written under "
                            + TrainingRun.MODEL_DIRECTORY
                            + "/ when a run finishes): finish the run with --resume "
                            + runDirectory);
        }
        return file;
    }

    /** {@return the run directory} */
    public Path getRunDirectory() {
        return runDirectory;
    }

    /** {@return the preset's name, e.g. {@code vit-moge-xs-fmnist}} */
    public String getPresetName() {
        return resolved.preset().getName();
    }

    /** {@return the DJL model holding the trained block} */
    public Model getModel() {
        return model;
    }

    /** {@return the class names of the run's data set, indexed by label} */
    public List<String> getClassNames() {
        return test.getClassNames();
    }

    /**
     * Returns a translator that classifies images as the run's evaluation prepared them.
     *
     * @return the translator
     */
    public Translator<Image, Classifications> newTranslator() {
        return ImageClassifierTranslator.builder()
                .setClassNames(test.getClassNames())
                .setImageShape(test.getImageShape())
                .setPipeline(pipeline)
                .build();
    }

    /**
     * Scores the saved model on the run's test split (its {@code --test-limit} and evaluation batch
     * size), as the run scored it after every epoch.
     *
     * @return test Acc@1 and Acc@5
     * @throws IOException if a test batch cannot be read
     */
    public Accuracy evaluate() throws IOException {
        int evalBatch =
                settings.evalBatchSize() > 0
                        ? settings.evalBatchSize()
                        : settings.batchSize() != null
                                ? settings.batchSize()
                                : resolved.recipe().getBatchSize();
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        AccuracyCounter counter =
                AccuracyCounter.measure(
                        x -> model.getBlock().forward(store, x, false),
                        VisionTrainer.testBatches(test, evalBatch, settings.testLimit(), pipeline),
                        model.getNDManager());
        return new Accuracy(counter.top1(), counter.top5(), counter.total());
    }

    /**
     * Returns the test accuracy the run recorded after its last epoch ({@code epochs.csv}).
     *
     * @return Acc@1 and Acc@5 (the image count is the run's test-set size)
     * @throws IOException if the run recorded no epoch
     */
    public Accuracy recorded() throws IOException {
        List<EpochRecord> epochs = EpochRecord.readAll(runDirectory);
        if (epochs.isEmpty()) {
            throw new IOException(runDirectory + " recorded no finished epoch (epochs.csv)");
        }
        EpochRecord last = epochs.get(epochs.size() - 1);
        long images =
                settings.testLimit() > 0
                        ? Math.min(settings.testLimit(), test.size())
                        : test.size();
        return new Accuracy(
                last.getValidation().get(EpochMetrics.ACC1),
                last.getValidation().get(EpochMetrics.ACC5),
                images);
    }

    /** {@return the data set's image shape {@code [C, H, W]}, before padding} */
    public Shape getImageShape() {
        return test.getImageShape();
    }

    /** Closes the model. */
    @Override
    public void close() {
        model.close();
    }

    /**
     * Test accuracy of a model.
     *
     * @param acc1 top-1 accuracy in [0, 1]
     * @param acc5 top-5 accuracy in [0, 1]
     * @param images the number of test images scored
     */
    public record Accuracy(double acc1, double acc5, long images) {}
}
