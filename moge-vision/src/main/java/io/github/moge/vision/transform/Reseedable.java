package io.github.moge.vision.transform;

/** A random augmentation whose host-side generator can be restarted from a seed. */
interface Reseedable {

    /**
     * Restarts the generator from a seed, so that the next draws depend only on that seed.
     *
     * @param seed the seed
     */
    void reseed(long seed);
}
