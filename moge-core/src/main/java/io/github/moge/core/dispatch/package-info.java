/**
 * Moving tokens to expert slots and back: capacity with batch prioritized routing, and dropless.
 */
package io.github.moge.core.dispatch;
