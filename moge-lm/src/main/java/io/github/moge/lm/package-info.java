/** Transformer language models with SMoE/SMoGE layers, word-level datasets, and perplexity. */
package io.github.moge.lm;
