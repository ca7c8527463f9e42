/**
 * Multi-head scaled dot-product attention over tokens kept as [B·T, H·dh] rows, in two formulations:
 *
 * - `batched` (the tensorflow backends): per-head batched matMuls [B·H, T, dh] and autodiff. Plain ops, so a GPU
 *   runs them as cuBLAS batched GEMMs.
 * - `depthwise` (wasm, cpu): tfjs-backend-wasm sends batched (3-D) matMuls to a slow non-XNNPACK loop (~15× slower
 *   per flop than its 2-D path). A product that is batched over c = (b, h), out[c,y,m] = Σ_k x[c,y,k]·w[c,k,m],
 *   is exactly a depthwise convolution with channel multiplier M: input [1, Y, K, C] (height y, width k, channel c),
 *   filter [1, K, C, M], 'valid' padding → [1, Y, 1, C·M]. XNNPACK runs that as a grouped GEMM, 4–5× faster than
 *   the batched matMul at these shapes. Both products of attention (QKᵀ and P·V) and all four products of its
 *   gradient take that form, so the product gets a hand-written gradient made of two more depthwise products
 *   (wasm has no depthwise-conv backprop kernels). Tensors live "channels last" ([Y, K, C]) inside.
 *
 * The hooks contract (src/model/types.ts) is kept at the seam: when a hook is present, q, k, v, probs and context
 * are handed to it as [B·H, T, dh] / [B·H, T, T] views (differentiable transposes), and its result is used.
 */
import * as tf from '../tf';
import { customGrad, opsFlavour } from './ops';
import type { AttentionArgs } from './types';

export type AttentionImpl = 'batched' | 'depthwise';

let forced: AttentionImpl | null = null;

/** The formulation in use: forced (tests, benchmarks), else by backend. */
export function attentionImpl(): AttentionImpl {
  return forced ?? (opsFlavour() === 'plain' ? 'batched' : 'depthwise');
}

/** Force a formulation (null: choose by backend). For tests and benchmarks. */
export function setAttentionImpl(impl: AttentionImpl | null): void {
  forced = impl;
}

export interface AttentionInput {
  /** Projected queries, keys and values, [B·T, H·dh] each (row b·T + t, column h·dh + e). */
  q: tf.Tensor2D;
  k: tf.Tensor2D;
  v: tf.Tensor2D;
  batch: number;
  tokens: number;
  heads: number;
  layer: number;
  /** Optional additive bias on the keys, [B, T]: 0 to attend, a large negative number for padding. */
  keyBias?: tf.Tensor2D;
  /** The attention seam (hooks.attention). */
  hook?: (args: AttentionArgs) => tf.Tensor3D;
}

/** Per-head attention; returns the merged context [B·T, H·dh] (before the output projection). */
export function multiHeadAttention(a: AttentionInput): tf.Tensor2D {
  return attentionImpl() === 'batched' ? batchedAttention(a) : depthwiseAttention(a);
}

/** [B·T, H·dh] → [B·H, T, dh]. */
function splitHeads(t: tf.Tensor2D, B: number, T: number, H: number): tf.Tensor3D {
  const dh = t.shape[1] / H;
  return tf.transpose(t.reshape([B, T, H, dh]), [0, 2, 1, 3]).reshape([B * H, T, dh]);
}

/** [B·H, T, dh] → [B·T, H·dh]. */
function mergeHeads(t: tf.Tensor3D, B: number, T: number, H: number): tf.Tensor2D {
  const dh = t.shape[2];
  return tf.transpose(t.reshape([B, H, T, dh]), [0, 2, 1, 3]).reshape([B * T, H * dh]);
}

function batchedAttention(a: AttentionInput): tf.Tensor2D {
  const { batch: B, tokens: T, heads: H } = a;
  const dh = a.q.shape[1] / H;
  const q = splitHeads(a.q, B, T, H);
  const k = splitHeads(a.k, B, T, H);
  const v = splitHeads(a.v, B, T, H);
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)) as tf.Tensor3D;
  if (a.keyBias) scores = tf.add(scores.reshape([B, H, T, T]), a.keyBias.reshape([B, 1, 1, T])).reshape([B * H, T, T]);
  const probs = tf.softmax(scores) as tf.Tensor3D;
  let context = tf.matMul(probs, v) as tf.Tensor3D;
  if (a.hook) context = a.hook({ layer: a.layer, q, k, v, probs, context });
  return mergeHeads(context, B, T, H);
}

/** out[y, c, m] = Σ_k x[y, k, c]·w[k, c, m] for x [Y, K, C], w [K, C, M], as one depthwise convolution. */
function channelProduct(x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  const [Y, K, C] = x.shape;
  const M = w.shape[2];
  const out = tf.depthwiseConv2d(x.reshape([1, Y, K, C]) as tf.Tensor4D, w.reshape([1, K, C, M]) as tf.Tensor4D, 1, 'valid');
  return out.reshape([Y, C, M]);
}

/**
 * `channelProduct` with its gradient written as two more channel products:
 *   dx[y,k,c] = Σ_m dy[y,c,m]·w[k,c,m]  → channelProduct(dy as [y,m,c], w as [m,c,k]) = [y,c,k], then → [y,k,c]
 *   dw[k,c,m] = Σ_y x[y,k,c]·dy[y,c,m]  → channelProduct(x as [k,y,c], dy)            = [k,c,m]
 */
const channelProductGrad = customGrad((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: channelProduct(x as tf.Tensor3D, w as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor3D, tf.Tensor3D];
      const dy3 = dy as tf.Tensor3D;
      const dx = tf.transpose(channelProduct(tf.transpose(dy3, [0, 2, 1]), tf.transpose(ws, [2, 1, 0])), [0, 2, 1]);
      const dw = channelProduct(tf.transpose(xs, [1, 0, 2]), dy3);
      return [dx, dw];
    },
  };
});

/** Batched-over-channels product with a hand-written gradient: x [Y, K, C], w [K, C, M] → [Y, C, M]. */
export function perChannelMatMul(x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  return channelProductGrad(x, w) as tf.Tensor3D;
}

function depthwiseAttention(a: AttentionInput): tf.Tensor2D {
  const { batch: B, tokens: T, heads: H } = a;
  const d = a.q.shape[1];
  const dh = d / H;
  const C = B * H;
  // Channels last: c = b·H + h. [B, T, H, dh] views of the projections.
  const q4 = tf.mul(a.q, 1 / Math.sqrt(dh)).reshape([B, T, H, dh]);
  const qIn = tf.transpose(q4, [1, 3, 0, 2]).reshape([T, dh, C]) as tf.Tensor3D; // [i, e, c]
  const kF = tf.transpose(a.k.reshape([B, T, H, dh]), [3, 0, 2, 1]).reshape([dh, C, T]) as tf.Tensor3D; // [e, c, j]
  let scores = perChannelMatMul(qIn, kF); // [i, c, j]
  if (a.keyBias) scores = tf.add(scores.reshape([T, B, H, T]), a.keyBias.reshape([1, B, 1, T])).reshape([T, C, T]);
  const p = tf.softmax(scores) as tf.Tensor3D; // [i, c, j]
  const vF = tf.transpose(a.v.reshape([B, T, H, dh]), [1, 0, 2, 3]).reshape([T, C, dh]) as tf.Tensor3D; // [j, c, e]
  const ctx = perChannelMatMul(tf.transpose(p, [0, 2, 1]), vF); // [i, c, e]
  if (a.hook) {
    const probs = tf.transpose(p, [1, 0, 2]) as tf.Tensor3D;
    const context = tf.transpose(ctx, [1, 0, 2]) as tf.Tensor3D;
    const q = splitHeads(a.q, B, T, H);
    const k = splitHeads(a.k, B, T, H);
    const v = splitHeads(a.v, B, T, H);
    return mergeHeads(a.hook({ layer: a.layer, q, k, v, probs, context }), B, T, H);
  }
  // [i, b, h, e] → [b, i, h·e]
  return tf.transpose(ctx.reshape([T, B, d]), [1, 0, 2]).reshape([B * T, d]);
}
