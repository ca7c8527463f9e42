/**
 * The kernels src/model/ops.ts registers on wasm: Identity that shares the buffer (saved tensors), the flat-buffer
 * copies of the fused optimizer, and column sums in float32 order — each against the formulation it replaces.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { columnSums, flattenTensors, sumRows, unflattenTensor } from '../src/model/ops';
import { useBackend } from './helpers';
import { Rng } from '../src/util/rng';

before(async () => {
  await useBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function randomTensor(shape: number[], rng: Rng, scale = 1): tf.Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * scale), shape);
}

test('wasm Identity shares the buffer: a clone outlives its source, counts a reference, and leaks nothing', () => {
  const n0 = tf.memory().numTensors;
  const bytes0 = tf.memory().numBytes;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assert.equal(y.dataId, x.dataId, 'the clone shares the data');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3], 'the clone still reads after the source is gone');
  y.dispose();
  assert.equal(tf.memory().numTensors, n0);
  assert.equal(tf.memory().numBytes, bytes0);
  // Gradients that save inputs (Mul saves both) still work with shared saved tensors.
  const a = tf.variable(tf.tensor1d([1.5, -2]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(a, a)) as tf.Scalar, [a]);
  assert.deepEqual(Array.from(grads[a.name].dataSync()), [3, -4]);
  tf.dispose([a, grads[a.name]]);
});

test('flattenTensors / unflattenTensor equal concat / split (bit for bit), and survive a heap that grows in between', () => {
  const rng = new Rng(4);
  const shapes = [[3, 4], [7], [1], [2, 3, 5], [64, 64]];
  const parts = shapes.map((s) => randomTensor(s, rng));
  const flat = flattenTensors(parts);
  const reference = tf.concat(parts.map((t) => t.reshape([t.size])));
  assert.ok(bitsEqual(flat.dataSync(), reference.dataSync()));
  const back = unflattenTensor(flat as tf.Tensor1D, shapes);
  back.forEach((t, i) => {
    assert.deepEqual(t.shape, shapes[i]);
    assert.ok(bitsEqual(t.dataSync(), parts[i].dataSync()), `piece ${i}`);
  });
  tf.dispose([...parts, flat, reference, ...back]);
  // Outputs larger than any free block make the kernels grow the wasm heap (which detaches older views) while they run.
  const n = 12 << 20;
  const halves = [tf.fill([n], 1.5), tf.fill([n], -2.5)];
  const joined = flattenTensors(halves);
  const split = unflattenTensor(joined, [[n], [n]]);
  for (const [i, t] of split.entries()) {
    const v = t.dataSync();
    assert.ok(v[0] === [1.5, -2.5][i] && v[n - 1] === [1.5, -2.5][i], `large piece ${i}`);
  }
  tf.dispose([...halves, joined, ...split]);
});

test('columnSums = ones[1,N]·x bit for bit (XNNPACK adds the products in order, without fused multiply-add)', () => {
  const rng = new Rng(5);
  for (const [n, k] of [[1024, 64], [512, 128], [64, 10], [1000, 33], [7, 5], [1, 9], [2048, 32]]) {
    for (const scale of [1, 1e3, 1e-3]) {
      const x = randomTensor([n, k], rng, scale) as tf.Tensor2D;
      const a = columnSums(x);
      const b = sumRows(x);
      assert.deepEqual(a.shape, [k]);
      assert.ok(bitsEqual(a.dataSync(), b.dataSync()), `[${n}, ${k}] × ${scale}`);
      tf.dispose([x, a, b]);
    }
  }
});
