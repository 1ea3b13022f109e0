/**
 * Expert feed-forward networks, stored stacked so that all experts run as batched matrix products.
 */
package io.github.moge.core.experts;
