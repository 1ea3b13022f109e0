package io.github.moge.core.compare;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Draws a comparison's figure (paired differences and learning curves). moge-core has no plotting
 * dependency; moge-examples supplies a PNG writer.
 */
@FunctionalInterface
public interface ComparisonPlot {

    /**
     * Writes the figure.
     *
     * @param result the comparison
     * @param file the image file to write
     * @throws IOException if writing fails
     */
    void write(ComparisonResult result, Path file) throws IOException;
}
