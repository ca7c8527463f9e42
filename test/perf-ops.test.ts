/**
 * The backend-aware op formulations of src/model/ops.ts (custom gradients for dense, layer norm and GELU, the blocked
 * transpose) against the plain formulations with autodiff that the tensorflow backends use, plus directional
 * central differences of each custom gradient. cpu backend.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { configureOps, dense, gelu, layerNorm, transpose2d } from '../src/model/ops';
import { useBackend } from './helpers';

before(() => useBackend('cpu'));
after(() => configureOps('cpu'));

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.norm(tf.sub(a, b)).dataSync()[0] / Math.max(tf.norm(a).dataSync()[0], 1e-12));
}

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Value and gradients of Σ f(xs) ⊙ R under one flavour of ops. */
function evalWith(flavour: 'cpu' | 'tensorflow', f: Fn, xs: tf.Tensor[], r: tf.Tensor) {
  configureOps(flavour);
  try {
    const g = tf.valueAndGrads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), r)) as tf.Scalar)(xs);
    return { value: g.value.dataSync()[0], grads: g.grads };
  } finally {
    configureOps('cpu');
  }
}

/** Directional derivative by central differences along random directions, against the custom gradient. */
function checkFiniteDifferences(name: string, f: Fn, xs: tf.Tensor[], r: tf.Tensor, eps: number, tol: number) {
  const { grads } = evalWith('cpu', f, xs, r);
  xs.forEach((x, i) => {
    const dir = rand(x.shape, 100 + i);
    const analytic = tf.sum(tf.mul(grads[i], dir)).dataSync()[0];
    const at = (t: number) => {
      const moved = xs.map((y, j) => (j === i ? tf.add(y, tf.mul(dir, t)) : y));
      return tf.sum(tf.mul(f(...moved), r)).dataSync()[0];
    };
    // float64 on the host: the two sides are float32 sums, so eps is chosen to balance truncation and rounding.
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(analytic - numeric) <= tol * Math.max(1, Math.abs(analytic)), `${name} argument ${i}: analytic ${analytic} numeric ${numeric}`);
  });
}

const CASES: { name: string; f: Fn; shapes: number[][]; out: number[]; eps: number; tol: number }[] = [
  { name: 'dense', f: (x, w, b) => dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), shapes: [[6, 5], [5, 4], [4]], out: [6, 4], eps: 0.5, tol: 1e-4 },
  { name: 'layerNorm', f: (x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D), shapes: [[6, 8], [8], [8]], out: [6, 8], eps: 1e-2, tol: 2e-3 },
  { name: 'gelu', f: (x) => gelu(x), shapes: [[7, 9]], out: [7, 9], eps: 1e-2, tol: 2e-3 },
];

for (const c of CASES) {
  test(`${c.name}: custom gradient equals autodiff of the plain formulation and central differences`, () => {
    const xs = c.shapes.map((s, i) => rand(s, 10 + i));
    const r = rand(c.out, 99);
    const custom = evalWith('cpu', c.f, xs, r);
    const plain = evalWith('tensorflow', c.f, xs, r);
    assert.ok(Math.abs(custom.value - plain.value) <= 1e-5 * Math.max(1, Math.abs(plain.value)), `value ${custom.value} vs ${plain.value}`);
    custom.grads.forEach((g, i) => assert.ok(relErr(plain.grads[i], g) < 1e-5, `gradient ${i}: ${relErr(plain.grads[i], g)}`));
    checkFiniteDifferences(c.name, c.f, xs, r, c.eps, c.tol);
  });
}

test('GELU is the tanh approximation', () => {
  const x = tf.linspace(-5, 5, 41);
  const expected = tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
  assert.ok(relErr(expected, gelu(x)) < 1e-6);
});

test('blocked transpose equals tf.transpose for tall, wide and odd shapes', () => {
  // The blocked path is chosen for the wasm flavour: select it on the cpu backend (same kernels, same maths).
  configureOps('wasm');
  try {
    for (const shape of [[1024, 64], [4096, 48], [4096, 512], [300, 7], [64, 1024], [256, 256]]) {
      const x = rand(shape, 7) as tf.Tensor2D;
      assert.deepEqual(transpose2d(x).dataSync(), tf.transpose(x).dataSync(), `shape ${shape}`);
    }
  } finally {
    configureOps('cpu');
  }
});
