/** The language-model training loop (memory carried across blocks, best-on-validation checkpoint). */
package io.github.moge.lm.training;
