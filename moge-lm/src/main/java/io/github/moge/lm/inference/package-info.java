/**
 * Using a trained language model: a DJL {@code Translator} from a text to the probabilities of the
 * next word, and the word splitting it shares with perplexity of a user's text.
 */
package io.github.moge.lm.inference;
