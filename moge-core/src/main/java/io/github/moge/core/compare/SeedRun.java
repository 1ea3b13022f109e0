package io.github.moge.core.compare;

import java.nio.file.Path;
import java.util.Map;

/**
 * Trains both arms of a comparison at one seed in one run (e.g. an experiment that trains the
 * baseline and the variant side by side) and returns each arm's result.
 */
@FunctionalInterface
public interface SeedRun {

    /**
     * Runs one seed.
     *
     * @param seed the seed
     * @param runDirectory a directory of this seed's run alone (not created yet on the first
     *     attempt; it may hold what an interrupted earlier attempt left, to continue from)
     * @return the result of each arm, by arm name (both arms)
     * @throws Exception if the run fails; the comparison reports it and the seed stays unfinished
     */
    Map<String, RunResult> run(long seed, Path runDirectory) throws Exception;
}
