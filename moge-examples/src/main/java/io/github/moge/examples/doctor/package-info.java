/**
 * {@code moge doctor}: what the engine sees and whether the library computes on every device what
 * it computes on the CPU.
 */
package io.github.moge.examples.doctor;
