/** Word-level corpora (WikiText-103/2, Brown), vocabularies and BPTT-style stream batching. */
package io.github.moge.lm.data;
