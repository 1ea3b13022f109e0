package io.github.moge.core.compare;

import java.nio.file.Path;

/**
 * Trains and evaluates one arm of a comparison at one seed: the user's task as a function. It must
 * make the same seed mean the same initialisation and data order for both arms.
 */
@FunctionalInterface
public interface ArmRun {

    /**
     * Runs one (seed, arm).
     *
     * @param seed the seed
     * @param arm the arm's name (the baseline's or the variant's)
     * @param runDirectory a directory of this run alone (not created yet on the first attempt; it
     *     may hold what an interrupted earlier attempt left, to continue from)
     * @return what the run measured
     * @throws Exception if the run fails; the comparison reports it and the run stays unfinished
     */
    RunResult run(long seed, String arm, Path runDirectory) throws Exception;
}
