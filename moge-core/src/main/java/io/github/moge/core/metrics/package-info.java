/** Diagnostics of routing: per-expert counts, dropped tokens, routing maps and their distances. */
package io.github.moge.core.metrics;
