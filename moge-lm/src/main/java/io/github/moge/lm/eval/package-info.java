/**
 * Token cross-entropy and perplexity of language models, evaluated with memory carried across
 * blocks.
 */
package io.github.moge.lm.eval;
