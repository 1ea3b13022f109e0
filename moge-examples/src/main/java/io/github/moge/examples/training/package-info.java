/** Command-line options shared by every training command (output, --resume, checkpoints, guard). */
package io.github.moge.examples.training;
