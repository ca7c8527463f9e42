/**
 * The fused wasm layer-norm kernels (src/model/ops.ts; layerNorm takes them for small x) against the chain of tfjs
 * kernels they replace (`layerNormChain`): forward values and the three gradients equal bit for bit, over the
 * model's shapes and inputs that stress float32 (large offsets, constant rows, tiny and overflowing variance). The first test pins the two
 * tfjs-backend-wasm semantics the kernels reproduce (Mean = in-order float32 sum ÷ n, Rsqrt = 1/sqrtf), so a tfjs
 * upgrade that changes them fails there with a clear message. wasm backend.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { layerNorm, layerNormChain, layerNormFused } from '../src/model/ops';
import { useBackend } from './helpers';
import { Rng } from '../src/util/rng';

before(async () => {
  await useBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

/** Index of the first element whose bits differ (Object.is: −0 ≠ +0, NaN = NaN), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

test('wasm Mean adds in order in float32 and divides by n; wasm Rsqrt is 1/sqrtf (what the fused kernels reproduce)', () => {
  const rng = new Rng(11);
  const fround = Math.fround;
  // Rows of 3 and 7 (1/3 and 1/7 are inexact): sum/n and sum·(1/n) differ for some rows; forward and reverse sums too.
  for (const n of [3, 7, 64]) {
    const rows = 2000;
    const x = Float32Array.from({ length: rows * n }, () => rng.normal() * 10 ** rng.int(6));
    const got = tf.tidy(() => tf.mean(tf.tensor2d(x, [rows, n]), -1).dataSync());
    let reciprocalDiffers = 0;
    let reverseDiffers = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum = fround(sum + x[r * n + j]);
      assert.ok(Object.is(got[r], fround(sum / n)), `Mean of row ${r} (n = ${n}): ${got[r]}, in-order sum ÷ n gives ${fround(sum / n)}`);
      if (!Object.is(fround(sum / n), fround(sum * fround(1 / n)))) reciprocalDiffers++;
      let reversed = 0;
      for (let j = n - 1; j >= 0; j--) reversed = fround(reversed + x[r * n + j]);
      if (!Object.is(fround(sum / n), fround(reversed / n))) reverseDiffers++;
    }
    if (n !== 64) assert.ok(reciprocalDiffers > 0, `n = ${n}: the probe cannot tell sum/n from sum·(1/n)`);
    assert.ok(reverseDiffers > 0, `n = ${n}: the probe cannot tell the summation order`);
  }
  const v = Float32Array.from({ length: 200000 }, () => fround(Math.exp(rng.normal() * 20)));
  const got = tf.tidy(() => tf.rsqrt(tf.tensor1d(v)).dataSync());
  let doubleSqrtDiffers = 0;
  for (let i = 0; i < v.length; i++) {
    const expected = fround(1 / fround(Math.sqrt(v[i])));
    assert.ok(Object.is(got[i], expected), `Rsqrt(${v[i]}) = ${got[i]}, 1/sqrtf gives ${expected}`);
    if (!Object.is(expected, fround(1 / Math.sqrt(v[i])))) doubleSqrtDiffers++;
  }
  assert.ok(doubleSqrtDiffers > 0, 'the probe cannot tell 1/sqrtf from 1/sqrt in double');
});

type Fill = (rng: Rng, rows: number, d: number) => Float32Array;

const normal = (rng: Rng, n: number, scale = 1, offset = 0) => Float32Array.from({ length: n }, () => offset + rng.normal() * scale);

/** Inputs x [rows, d] that stress float32. */
const INPUTS: Record<string, Fill> = {
  random: (rng, rows, d) => normal(rng, rows * d),
  'large offset (1e4 + N(0,1))': (rng, rows, d) => normal(rng, rows * d, 1, 1e4),
  'large negative offset, small spread (−3e5 + N(0,0.01))': (rng, rows, d) => normal(rng, rows * d, 0.01, -3e5),
  'constant rows (variance 0)': (rng, rows, d) => Float32Array.from({ length: rows * d }, (_, i) => Math.floor(i / d) * 0.37 - 5),
  'tiny variance (1 + 1e-4·N)': (rng, rows, d) => normal(rng, rows * d, 1e-4, 1),
  'variance below eps (1e-4·N)': (rng, rows, d) => normal(rng, rows * d, 1e-4),
  'variance overflows (1e20·N)': (rng, rows, d) => normal(rng, rows * d, 1e20),
  'mixed rows (constant, huge, tiny, zero)': (rng, rows, d) => {
    const x = normal(rng, rows * d);
    for (let r = 0; r < rows; r++) {
      const kind = r % 4;
      for (let j = 0; j < d; j++) {
        const i = r * d + j;
        x[i] = kind === 0 ? 2.5 : kind === 1 ? x[i] * 3e6 + 7e7 : kind === 2 ? x[i] * 1e-30 : j === 0 ? -0 : 0;
      }
    }
    return x;
  },
};

/** [rows, d]: the image ViT's token rows (A: 64 images × 16 tokens, dim 64), the pooled head, the text model
 * (64 × 32 tokens, dim 64), B's width, and odd sizes. */
const SHAPES: [number, number][] = [[1024, 64], [64, 64], [2048, 64], [1, 8], [3, 8], [7, 33], [17, 128], [1100, 512], [256, 100], [5, 512]];

interface Result { y: Float32Array; dx: Float32Array; dg: Float32Array; db: Float32Array }

function run(f: typeof layerNorm, x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, dy: tf.Tensor2D): Result {
  return tf.tidy(() => {
    const y = f(x, g, b);
    const [dx, dg, db] = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => f(xi as tf.Tensor2D, gi as tf.Tensor1D, bi as tf.Tensor1D))([x, g, b], dy);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dg: dg.dataSync() as Float32Array, db: db.dataSync() as Float32Array };
  });
}

test('fused layer norm on wasm equals the kernel chain bit for bit: y, dx, dg, db (shapes × stressing inputs)', () => {
  const rng = new Rng(12);
  let compared = 0;
  for (const [rows, d] of SHAPES) {
    for (const [name, fill] of Object.entries(INPUTS)) {
      const x = tf.tensor2d(fill(rng, rows, d), [rows, d]);
      // Gains with zeros and negatives, and upstream gradients of two scales.
      const g = tf.tensor1d(Float32Array.from({ length: d }, (_, j) => (j % 11 === 0 ? 0 : 1 + rng.normal() * 0.5)));
      const b = tf.tensor1d(normal(rng, d, 0.1));
      const dy = tf.tensor2d(normal(rng, rows * d, rows % 2 === 0 ? 1 : 1e3), [rows, d]);
      const fused = run(layerNormFused, x, g, b, dy);
      const chain = run(layerNormChain, x, g, b, dy);
      for (const key of ['y', 'dx', 'dg', 'db'] as const) {
        const i = firstDifference(fused[key], chain[key]);
        assert.equal(i, -1, `[${rows}, ${d}] ${name}: ${key}[${i}] fused ${fused[key][i]} vs chain ${chain[key][i]}`);
      }
      compared++;
      tf.dispose([x, g, b, dy]);
    }
  }
  assert.equal(compared, SHAPES.length * Object.keys(INPUTS).length);
});

test('on wasm, layerNorm runs the two fused kernels for small x and the chain for large x, and leaks no tensors', async () => {
  const rng = new Rng(13);
  const g = tf.tensor1d(normal(rng, 64, 0.5, 1));
  const b = tf.tensor1d(normal(rng, 64));
  const kernelCalls = async (f: typeof layerNorm, x: tf.Tensor2D, dy: tf.Tensor2D): Promise<string[]> => {
    const info = await tf.profile(() => tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => f(xi as tf.Tensor2D, gi as tf.Tensor1D, bi as tf.Tensor1D))([x, g, b], dy));
    // Registered kernels only (tf.profile also lists the custom gradient's own 'forward' entry), saved-tensor clones aside.
    return info.kernels.map((k) => k.name).filter((n) => n !== 'Identity' && tf.getKernel(n, 'wasm') !== undefined);
  };
  // The pooled head's [batch 64, dim 64] takes the fused kernels; the token rows [64·16, 64] take the chain.
  for (const [rows, fusedExpected] of [[64, true], [1024, false]] as const) {
    const x = tf.tensor2d(normal(rng, rows * 64), [rows, 64]);
    const dy = tf.tensor2d(normal(rng, rows * 64), [rows, 64]);
    const calls = await kernelCalls(layerNorm, x, dy);
    if (fusedExpected) assert.deepEqual(calls, ['MixbenchLayerNorm', 'MixbenchLayerNormGrad'], `[${rows}, 64] ran ${calls.join(', ')}`);
    else assert.ok(calls.includes('Rsqrt') && calls.length >= 20, `[${rows}, 64] ran ${calls.join(', ')}`);
    assert.deepEqual(await kernelCalls(layerNormFused, x, dy), ['MixbenchLayerNorm', 'MixbenchLayerNormGrad']);
    const n0 = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grads((xi: tf.Tensor) => layerNormFused(xi as tf.Tensor2D, g, b))([x], dy);
    });
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([x, dy]);
  }
  tf.dispose([g, b]);
});
