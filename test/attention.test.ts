/**
 * The attention formulations (src/model/attention.ts): the depthwise-convolution form and its hand-written gradient
 * against the plain batched-matMul form with autodiff, a directional finite-difference check of the custom gradient,
 * and the hooks seam (shapes and gradients through a hook). cpu backend.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { attentionImpl, multiHeadAttention, perChannelMatMul, setAttentionImpl, type AttentionImpl } from '../src/model/attention';
import type { AttentionArgs } from '../src/model/types';
import { useBackend } from './helpers';

before(() => useBackend('cpu'));

const B = 3;
const T = 5;
const H = 2;
const D = 8;

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);
}

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const num = tf.norm(tf.sub(a, b)).dataSync()[0];
    const den = Math.max(tf.norm(a).dataSync()[0], tf.norm(b).dataSync()[0], 1e-12);
    return num / den;
  });
}

function withImpl<T>(impl: AttentionImpl, f: () => T): T {
  setAttentionImpl(impl);
  try {
    return f();
  } finally {
    setAttentionImpl(null);
  }
}

/** loss = Σ attention(q, k, v) ⊙ R, with gradients wrt q, k, v. */
function lossAndGrads(impl: AttentionImpl, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, r: tf.Tensor, opts: { keyBias?: tf.Tensor2D; hook?: (a: AttentionArgs) => tf.Tensor3D } = {}) {
  return withImpl(impl, () => {
    const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
      tf.sum(tf.mul(multiHeadAttention({ q: qq as tf.Tensor2D, k: kk as tf.Tensor2D, v: vv as tf.Tensor2D, batch: B, tokens: T, heads: H, layer: 0, ...opts }), r)) as tf.Scalar;
    const { value, grads } = tf.valueAndGrads(f)([q, k, v]);
    return { value, grads };
  });
}

test('the cpu backend uses the depthwise formulation unless told otherwise', () => {
  assert.equal(attentionImpl(), 'depthwise');
  assert.equal(withImpl('batched', () => attentionImpl()), 'batched');
});

test('depthwise attention equals batched attention: values and gradients, with and without a key mask', () => {
  const q = rand([B * T, D], 1);
  const k = rand([B * T, D], 2);
  const v = rand([B * T, D], 3);
  const r = rand([B * T, D], 4);
  const bias = new Float32Array(B * T);
  bias[T - 1] = -1e9; // batch 0: last token is padding
  bias[2 * T + 3] = -1e9;
  bias[2 * T + 4] = -1e9;
  for (const keyBias of [undefined, tf.tensor2d(bias, [B, T])]) {
    const ref = lossAndGrads('batched', q, k, v, r, { keyBias });
    const dw = lossAndGrads('depthwise', q, k, v, r, { keyBias });
    assert.ok(Math.abs(ref.value.dataSync()[0] - dw.value.dataSync()[0]) < 1e-4 * Math.abs(ref.value.dataSync()[0]) + 1e-5);
    ref.grads.forEach((g, i) => assert.ok(relErr(g, dw.grads[i]) < 1e-5, `gradient ${'qkv'[i]}: ${relErr(g, dw.grads[i])}`));
  }
  // A masked key gets no attention: changing its value changes nothing.
  const keyBias = tf.tensor2d(bias, [B, T]);
  const out1 = multiHeadAttention({ q: q as tf.Tensor2D, k: k as tf.Tensor2D, v: v as tf.Tensor2D, batch: B, tokens: T, heads: H, layer: 0, keyBias });
  const v2 = v.bufferSync();
  for (let e = 0; e < D; e++) v2.set(99, T - 1, e);
  const out2 = multiHeadAttention({ q: q as tf.Tensor2D, k: k as tf.Tensor2D, v: v2.toTensor() as tf.Tensor2D, batch: B, tokens: T, heads: H, layer: 0, keyBias });
  assert.ok(relErr(out1.slice([0, 0], [T, D]), out2.slice([0, 0], [T, D])) < 1e-6);
});

test('the per-channel product gradient matches directional central differences', () => {
  // f(x, w) = Σ perChannelMatMul(x, w) ⊙ R; d/dt f(x + t·u, w + t·s) at t = 0 against the custom gradient.
  const [Y, K, C, M] = [4, 3, 5, 6];
  const x = rand([Y, K, C], 10) as tf.Tensor3D;
  const w = rand([K, C, M], 11) as tf.Tensor3D;
  const r = rand([Y, C, M], 12);
  const u = rand([Y, K, C], 13) as tf.Tensor3D;
  const s = rand([K, C, M], 14) as tf.Tensor3D;
  const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(perChannelMatMul(xx as tf.Tensor3D, ww as tf.Tensor3D), r)) as tf.Scalar;
  const [gx, gw] = tf.grads(f)([x, w]);
  // f is linear in each argument, so a central difference along one of them is exact up to rounding: a large step
  // keeps float32 rounding small, and each argument's gradient is checked on its own.
  const eps = 0.5;
  for (const [g, dir, move] of [[gx, u, 'x'], [gw, s, 'w']] as const) {
    const analytic = tf.sum(tf.mul(g, dir)).dataSync()[0];
    const at = (t: number) => (move === 'x' ? f(tf.add(x, tf.mul(dir, t)), w) : f(x, tf.add(w, tf.mul(dir, t)))).dataSync()[0];
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(analytic - numeric) < 1e-4 * Math.max(1, Math.abs(analytic)), `d/d${move}: analytic ${analytic} numeric ${numeric}`);
  }
  // …and the exact product, against a host loop.
  const out = perChannelMatMul(x, w).arraySync() as number[][][];
  const xa = x.arraySync() as number[][][];
  const wa = w.arraySync() as number[][][];
  for (let y = 0; y < Y; y++) for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
    let acc = 0;
    for (let kk = 0; kk < K; kk++) acc += xa[y][kk][c] * wa[kk][c][m];
    assert.ok(Math.abs(out[y][c][m] - acc) < 1e-4);
  }
});

test('depthwise attention gradient matches directional central differences (q, k, v together)', () => {
  const q = rand([B * T, D], 21);
  const k = rand([B * T, D], 22);
  const v = rand([B * T, D], 23);
  const r = rand([B * T, D], 24);
  const dirs = [rand([B * T, D], 25), rand([B * T, D], 26), rand([B * T, D], 27)];
  const { grads } = lossAndGrads('depthwise', q, k, v, r);
  const analytic = grads.reduce((s, g, i) => s + tf.sum(tf.mul(g, dirs[i])).dataSync()[0], 0);
  const eps = 1e-2;
  const at = (t: number) => withImpl('depthwise', () => tf.sum(tf.mul(multiHeadAttention({
    q: tf.add(q, tf.mul(dirs[0], t)) as tf.Tensor2D, k: tf.add(k, tf.mul(dirs[1], t)) as tf.Tensor2D, v: tf.add(v, tf.mul(dirs[2], t)) as tf.Tensor2D,
    batch: B, tokens: T, heads: H, layer: 0,
  }), r)).dataSync()[0]);
  const numeric = (at(eps) - at(-eps)) / (2 * eps);
  assert.ok(Math.abs(analytic - numeric) < 5e-3 * Math.max(1, Math.abs(analytic)), `analytic ${analytic} numeric ${numeric}`);
});

test('the attention hook sees [B·H, T, dh] / [B·H, T, T] tensors and its result is used, with gradients through it', () => {
  const q = rand([B * T, D], 31);
  const k = rand([B * T, D], 32);
  const v = rand([B * T, D], 33);
  const r = rand([B * T, D], 34);
  // A NeuTRENO-like hook: context + 0.5·(v − context), which uses v, probs (via context) and the default context.
  const seen: Record<string, number[]>[] = [];
  const hook = (a: AttentionArgs): tf.Tensor3D => {
    seen.push({ q: a.q.shape, k: a.k.shape, v: a.v.shape, probs: a.probs.shape, context: a.context.shape });
    const rows = tf.sum(a.probs, -1);
    assert.ok(tf.max(tf.abs(tf.sub(rows, 1))).dataSync()[0] < 1e-5, 'probs rows sum to 1');
    return tf.add(a.context, tf.mul(tf.sub(a.v, a.context), 0.5)) as tf.Tensor3D;
  };
  const ref = lossAndGrads('batched', q, k, v, r, { hook });
  const dw = lossAndGrads('depthwise', q, k, v, r, { hook });
  for (const s of seen) assert.deepEqual(s, { q: [B * H, T, D / H], k: [B * H, T, D / H], v: [B * H, T, D / H], probs: [B * H, T, T], context: [B * H, T, D / H] });
  assert.ok(Math.abs(ref.value.dataSync()[0] - dw.value.dataSync()[0]) < 1e-4);
  ref.grads.forEach((g, i) => assert.ok(relErr(g, dw.grads[i]) < 1e-5, `gradient ${'qkv'[i]}`));
  // The hook's result is what comes out: without the hook the value differs.
  const plain = lossAndGrads('depthwise', q, k, v, r);
  assert.ok(Math.abs(plain.value.dataSync()[0] - dw.value.dataSync()[0]) > 1e-3);
});
