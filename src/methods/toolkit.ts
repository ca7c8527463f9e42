/**
 * The tfjs toolkit of the methods: `tf` and the tensor ops several methods share. Method files never import this
 * module (or tfjs) at run time — they receive it as `env.tk` in `create` — so the method list, its schemas and docs
 * load without a backend (`mixbench validate`, `plan`, `methods`). Only src/methods/registry.ts imports it.
 */
import * as tf from '../tf';
import { lerp, permuteRows } from '../model/ops';
import type { MixDraw } from './draws';

export { tf, lerp, permuteRows };

/** λ·t + (1−λ)·t[π] by a gather (permuteRows) and an interpolation: the cheap form on the cpu and tensorflow backends. */
export function mixRowsGather<T extends tf.Tensor>(t: T, d: MixDraw): T {
  return lerp(t, permuteRows(t, d.perm), d.lambda);
}

/** M = λI + (1−λ)P_π as a [B, B] row-major matrix, or its transpose. */
function mixingMatrix(d: MixDraw, transpose: boolean): tf.Tensor2D {
  const B = d.perm.length;
  const m = new Float32Array(B * B);
  for (let i = 0; i < B; i++) {
    const j = d.perm[i];
    m[i * B + i] += d.lambda;
    m[transpose ? j * B + i : i * B + j] += 1 - d.lambda;
  }
  return tf.tensor2d(m, [B, B]);
}

/**
 * λ·t + (1−λ)·t[π] as one product M·t with M = λI + (1−λ)P_π, and gradient Mᵀ·dy: on wasm two 2-D matmuls on the
 * XNNPACK fast path replace gather + interpolation forward and backward (≈3× less time for a [64, 16, 64] hidden
 * state). The operands are copied before the reshape because wasm caches its matmul operator by the right
 * operand's data id, which a reshape keeps (a gradient reused under another shape would abort). Index/matrix
 * tensors are made inside the forward and gradient functions (tensors captured from outside would be disposed by
 * variableGrads' tidy before the gradient runs).
 */
export function mixRowsMatmul<T extends tf.Tensor>(t: T, d: MixDraw): T {
  const B = t.shape[0];
  const n = t.size / B;
  const op = tf.customGrad(((x: tf.Tensor) => ({
    value: tf.matMul(mixingMatrix(d, false), tf.mul(x, 1).reshape([B, n]) as tf.Tensor2D).reshape(x.shape),
    gradFunc: (dy: tf.Tensor) => [tf.matMul(mixingMatrix(d, true), tf.mul(dy, 1).reshape([B, n]) as tf.Tensor2D).reshape(dy.shape)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(t) as T;
}

/** Rows mixed with their partners: λ·t + (1−λ)·t[π] along axis 0 (t unchanged when λ = 1). */
export function mixRows<T extends tf.Tensor>(t: T, d: MixDraw): T {
  if (d.lambda === 1) return t;
  return tf.getBackend() === 'wasm' ? mixRowsMatmul(t, d) : mixRowsGather(t, d);
}

/**
 * A constant of the loss computed from tensors: `f` runs inside a custom op whose gradient is zero, so autodiff
 * never walks its (possibly non-differentiable) ops, e.g. TopK or comparisons.
 */
export function constantOf<T extends tf.Tensor>(t: T, f: (t: T) => T): T {
  const op = tf.customGrad(((x: tf.Tensor) => ({
    value: f(x as T),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(t) as T;
}
