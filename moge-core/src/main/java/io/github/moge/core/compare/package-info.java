/**
 * Paired multi-seed comparisons of a baseline and a variant (e.g. MoE and MoGE) on any task: {@link
 * io.github.moge.core.compare.ComparisonRunner} runs a user function per (seed, arm), resumably and
 * optionally two at a time, and reports the mean of each metric, the mean paired difference with
 * its Student t interval over seeds ({@link io.github.moge.core.compare.PairedDifference}), a
 * paired bootstrap interval over test examples ({@link
 * io.github.moge.core.compare.PairedBootstrap}) and a verdict in words.
 */
package io.github.moge.core.compare;
