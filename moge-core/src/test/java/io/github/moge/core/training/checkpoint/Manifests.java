package io.github.moge.core.training.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** Rewrites a checkpoint's manifest, for tests that edit a checkpoint's files on purpose. */
public final class Manifests {

    private Manifests() {}

    /**
     * Writes the manifest of a checkpoint directory anew.
     *
     * @param checkpoint the checkpoint directory
     * @throws IOException if it cannot be written
     */
    public static void rewrite(Path checkpoint) throws IOException {
        Sha256Manifest.write(checkpoint);
    }
}
