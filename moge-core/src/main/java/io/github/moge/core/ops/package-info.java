/**
 * Helpers for NDArray operations used in differentiable code: {@link
 * io.github.moge.core.ops.ScalarOps} creates the scalar constants of an operation as tensors that
 * own their memory.
 */
package io.github.moge.core.ops;
