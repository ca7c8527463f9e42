import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { Transformer } from '../src/model/transformer';
import { Mlp } from '../src/model/mlp';
import { configureOps, dense, layerNorm, addRow, permuteRows, softCrossEntropy, oneHot } from '../src/model/ops';
import type { ResolvedTransformer } from '../src/core/experiment';
import { useBackend } from './helpers';
import { directionalCheck } from './methods-util';

before(() => useBackend('cpu'));

const TINY: ResolvedTransformer = { type: 'transformer', dim: 8, depth: 2, heads: 2, mlpDim: 16, patch: 2, pool: 'mean', dropout: 0 };
const IMG = { image: { height: 4, width: 4, channels: 1 } };

function randomInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

test('transformer and MLP produce [B, K] logits; CLS pooling adds one token', () => {
  for (const pool of ['mean', 'cls'] as const) {
    const m = new Transformer({ ...TINY, pool }, IMG, 3, 11);
    const out = m.forward(randomInput([5, 4, 4, 1], 1), { training: false });
    assert.deepEqual(out.shape, [5, 3]);
    assert.equal(m.tokens, 4);
    out.dispose();
    m.dispose();
  }
  const mlp = new Mlp({ type: 'mlp', hidden: [7, 5], dropout: 0 }, 6, 4, 3);
  const out = mlp.forward(randomInput([9, 6], 2), { training: false });
  assert.deepEqual(out.shape, [9, 4]);
  assert.equal(mlp.parameterCount, 6 * 7 + 7 + 7 * 5 + 5 + 5 * 4 + 4);
  out.dispose();
  mlp.dispose();
});

test('the same seed gives bit-identical initial weights; another seed differs', () => {
  const a = new Transformer(TINY, IMG, 3, 42);
  const b = new Transformer(TINY, IMG, 3, 42);
  const c = new Transformer(TINY, IMG, 3, 43);
  a.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), b.variables[i].dataSync()));
  assert.notDeepEqual(a.variables[0].dataSync(), c.variables[0].dataSync());
  [a, b, c].forEach((m) => m.dispose());
});

function assertClose(r: { analytic: number; fd: number }, rel = 2e-2): void {
  const scale = Math.max(Math.abs(r.analytic), Math.abs(r.fd), 1e-3);
  assert.ok(Math.abs(r.analytic - r.fd) / scale < rel, `analytic ${r.analytic} vs numeric ${r.fd}`);
}

test('finite-difference gradient check of the whole transformer (wasm-friendly custom gradients)', () => {
  configureOps('cpu'); // custom-gradient formulations (the ones wasm uses)
  for (const pool of ['mean', 'cls'] as const) {
    const m = new Transformer({ ...TINY, pool }, IMG, 3, 5);
    const x = randomInput([4, 4, 4, 1], 9);
    const y = oneHot(Int32Array.from([0, 1, 2, 1]), 3);
    const loss = () => tf.mean(softCrossEntropy(m.forward(x, { training: false }), y)) as tf.Scalar;
    // h = 1e-3: with CLS pooling at init the final LayerNorm sees a tiny-variance vector and the loss curves sharply.
    assertClose(directionalCheck(m, loss, 1e-3, 100));
    tf.dispose([x, y]);
    m.dispose();
  }
});

test('custom dense, layerNorm, addRow and permuteRows gradients equal autodiff of the plain ops', () => {
  const x = tf.variable(randomInput([6, 4], 1), true, 't/x');
  const w = tf.variable(randomInput([4, 3], 2), true, 't/w');
  const b = tf.variable(randomInput([3], 3), true, 't/b');
  const g = tf.variable(randomInput([4], 4), true, 't/g');
  const row = tf.variable(randomInput([4], 5), true, 't/row');
  const weights = randomInput([6, 3], 6);
  const perm = Int32Array.from([2, 0, 1, 5, 4, 3]);
  const f = () => {
    const h = layerNorm(addRow(x as tf.Tensor2D, row), g as tf.Tensor1D, row as tf.Tensor1D);
    const z = dense(permuteRows(h, perm), w as tf.Tensor2D, b as tf.Tensor1D);
    return tf.sum(tf.mul(z, weights)) as tf.Scalar;
  };
  const vars = [x, w, b, g, row];
  configureOps('cpu');
  const custom = tf.variableGrads(f, vars);
  configureOps('tensorflow'); // plain ops, autodiff
  const plain = tf.variableGrads(f, vars);
  configureOps('cpu');
  assert.ok(Math.abs(custom.value.dataSync()[0] - plain.value.dataSync()[0]) < 1e-5);
  for (const v of vars) {
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(custom.grads[v.name], plain.grads[v.name]))).dataSync()[0]);
    assert.ok(d < 1e-4, `${v.name}: max diff ${d}`);
  }
  tf.dispose([...vars, weights, custom.value, plain.value, ...Object.values(custom.grads), ...Object.values(plain.grads)]);
});

test('soft cross-entropy equals −log p of the class for one-hot targets', () => {
  const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
  const y = oneHot(Int32Array.from([2, 0]), 3);
  const ce = softCrossEntropy(logits, y).dataSync();
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  assert.ok(Math.abs(ce[0] - (lse - 3)) < 1e-5);
  assert.ok(Math.abs(ce[1] - Math.log(3)) < 1e-5);
  assert.deepEqual(Array.from(y.dataSync()), [0, 0, 1, 1, 0, 0]);
  tf.dispose([logits, y]);
});
