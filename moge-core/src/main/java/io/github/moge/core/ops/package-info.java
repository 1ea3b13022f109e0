/**
 * Helpers for NDArray operations used in differentiable code: {@link
 * io.github.moge.core.ops.ScalarOps} creates the scalar constants of an operation as tensors that
 * own their memory; {@link io.github.moge.core.ops.RowGather} looks up rows with a gradient that
 * does not depend on thread timing.
 */
package io.github.moge.core.ops;
