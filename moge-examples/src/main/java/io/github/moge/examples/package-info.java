/** Runnable experiments and benchmarks, all behind the {@code moge} command-line entry point. */
package io.github.moge.examples;
