import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import type { ResolvedTrain, ResolvedTransformer } from '../src/core/experiment';
import type { Dataset } from '../src/data/dataset';
import { drawMix } from '../src/methods/draws';
import mixup from '../src/methods/mixup';
import * as toolkit from '../src/methods/toolkit';
import { oneHot } from '../src/model/ops';
import { classificationMetrics } from '../src/train/metrics';
import { createOptimizer, decays } from '../src/train/optimizers';
import { Transformer } from '../src/model/transformer';
import { learningRate } from '../src/train/schedule';
import { trainRun } from '../src/train/loop';
import { Rng } from '../src/util/rng';
import { resolveModel } from '../src/config/resolve';
import { useBackend } from './helpers';

const ENV = { model: resolveModel(undefined), tk: toolkit };

before(() => useBackend('cpu'));

const ctx = (rng: Rng, batchSize: number) => ({ rng, numClasses: 3, batchSize, epoch: 1, step: 0, modality: 'image' as const, shape: [2] });

test('mixup mixes inputs and targets with the same permutation and λ', () => {
  const part = mixup.create({ alpha: 1 }, ENV);
  const step = part.beginStep!(ctx(new Rng(5), 4));
  const { lambda, perm } = step.info as { lambda: number; perm: Int32Array };
  assert.ok(lambda > 0 && lambda < 1);
  const xs = [[1, 10], [2, 20], [3, 30], [4, 40]];
  const labels = Int32Array.from([0, 1, 2, 0]);
  const x = tf.tensor2d(xs);
  const y = oneHot(labels, 3);
  const out = step.batch!(x, y);
  const mx = out.x.arraySync() as number[][];
  const my = out.y.arraySync() as number[][];
  for (let i = 0; i < 4; i++) {
    const j = perm[i];
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(mx[i][k] - (lambda * xs[i][k] + (1 - lambda) * xs[j][k])) < 1e-4);
    for (let c = 0; c < 3; c++) {
      const expected = lambda * (labels[i] === c ? 1 : 0) + (1 - lambda) * (labels[j] === c ? 1 : 0);
      assert.ok(Math.abs(my[i][c] - expected) < 1e-6, `target row ${i} class ${c}`);
    }
  }
  assert.ok(perm.some((p, i) => p !== i), 'a non-trivial permutation was drawn');
  tf.dispose([x, y, out.x, out.y]);
});

test('mixup with α = 0 leaves the batch unchanged (λ = 1)', () => {
  const step = mixup.create({ alpha: 0 }, ENV).beginStep!(ctx(new Rng(1), 4));
  assert.equal((step.info as { lambda: number }).lambda, 1);
  const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  const y = oneHot(Int32Array.from([0, 1, 2, 1]), 3);
  const out = step.batch!(x, y);
  assert.deepEqual(out.x.arraySync(), x.arraySync());
  assert.deepEqual(out.y.arraySync(), y.arraySync());
  assert.equal(drawMix(new Rng(3), 0, 8).lambda, 1);
  tf.dispose([x, y, out.x, out.y]);
});

const TRAIN: ResolvedTrain = {
  epochs: 1, batchSize: 4, optimizer: 'adamw', lr: 0.1, weightDecay: 0.5, momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999,
  eps: 1e-8, schedule: 'constant', warmupEpochs: 0, gradClip: null, evalBatchSize: 8,
};

test('AdamW, Adam and SGD take the textbook first step; decay only on weight matrices', () => {
  const w0 = [1, -2];
  const g = [0.5, 0.25];
  for (const optimizer of ['adamw', 'adam', 'sgd'] as const) {
    const w = tf.variable(tf.tensor1d(w0), true, `opt-${optimizer}/w`);
    const b = tf.variable(tf.tensor1d(w0), true, `opt-${optimizer}/b`);
    const opt = createOptimizer({ ...TRAIN, optimizer }, [w, b]);
    opt.apply({ [w.name]: tf.tensor1d(g), [b.name]: tf.tensor1d(g) }, 0.1);
    const got = Array.from(w.dataSync());
    const gotBias = Array.from(b.dataSync());
    const expected = w0.map((wi, i) => {
      if (optimizer === 'adamw') return wi - 0.1 * (Math.sign(g[i]) + 0.5 * wi); // m̂/√v̂ = sign(g) on step 1
      if (optimizer === 'adam') return wi - 0.1 * Math.sign(g[i] + 0.5 * wi);
      return wi - 0.1 * (g[i] + 0.5 * wi);
    });
    const expectedBias = w0.map((wi, i) => (optimizer === 'sgd' ? wi - 0.1 * g[i] : wi - 0.1 * Math.sign(g[i])));
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${optimizer} w[${i}] ${v} vs ${expected[i]}`));
    gotBias.forEach((v, i) => assert.ok(Math.abs(v - expectedBias[i]) < 1e-5, `${optimizer} b[${i}] ${v} vs ${expectedBias[i]}`));
    opt.dispose();
    tf.dispose([w, b]);
  }
});

test('weight decay by role: dense and projection matrices decay; biases, norms, position/CLS and token embeddings do not', () => {
  const text = new Transformer({ ...(resolveModel({ type: 'transformer', dim: 8, depth: 1, heads: 2, mlpDim: 16, pool: 'cls' }) as ResolvedTransformer) }, { text: { length: 4, vocab: 12 } }, 3, 5);
  const image = new Transformer({ ...(resolveModel({ type: 'transformer', dim: 8, depth: 1, heads: 2, mlpDim: 16 }) as ResolvedTransformer) }, { image: { height: 4, width: 4, channels: 1 } }, 3, 5);
  for (const m of [text, image]) {
    // One AdamW step with zero gradients: only the decayed variables move (by lr · wd · w).
    const opt = createOptimizer({ ...TRAIN, optimizer: 'adamw' }, m.variables);
    const before = new Map(m.variables.map((v) => [v.name, Array.from(v.dataSync())]));
    opt.apply(Object.fromEntries(m.variables.map((v) => [v.name, tf.zerosLike(v)])), 0.1);
    const moved = m.variables.filter((v) => Array.from(v.dataSync()).some((x, i) => x !== before.get(v.name)![i])).map((v) => v.name.replace(/^vit\d+\//, ''));
    const kind = m === text ? 'text' : 'image';
    const expected = ['block0/q/w', 'block0/k/w', 'block0/v/w', 'block0/o/w', 'block0/mlp1/w', 'block0/mlp2/w', 'head/w', ...(kind === 'image' ? ['patch/w'] : [])];
    assert.deepEqual(moved.sort(), expected.sort(), kind);
    assert.ok(!m.variables.some((v) => v.name.endsWith('tokens/table') && decays(v)), 'the token table is an embedding');
    opt.dispose();
    m.dispose();
  }
});

test('learning-rate schedule: linear warm-up then cosine to zero', () => {
  assert.equal(learningRate(1, 'cosine', 0, 100, 10), 0.1);
  assert.equal(learningRate(1, 'cosine', 9, 100, 10), 1);
  assert.ok(Math.abs(learningRate(1, 'cosine', 10, 100, 10) - 1) < 1e-12);
  assert.ok(Math.abs(learningRate(1, 'cosine', 55, 100, 10) - 0.5) < 1e-12);
  assert.ok(learningRate(1, 'cosine', 99, 100, 10) < 0.001);
  assert.equal(learningRate(0.3, 'constant', 50, 100, 0), 0.3);
});

test('accuracy, NLL and 15-bin ECE on hand-computed logits', () => {
  // Two classes; confidences 0.5 (wrong... tie → class 0), e/(1+e) ≈ 0.731 (right), and 0.731 (wrong).
  const logits = Float32Array.from([0, 0, 1, 0, 0, 1]);
  const labels = Int32Array.from([0, 0, 0]);
  const m = classificationMetrics(logits, labels, 2);
  const p = Math.E / (1 + Math.E);
  assert.ok(Math.abs(m.accuracy - 2 / 3) < 1e-12);
  assert.ok(Math.abs(m.nll - (Math.log(2) - Math.log(p) - Math.log(1 - p)) / 3) < 1e-6);
  // bins: 0.5 → bin 7 (acc 1), 0.731 → bin 10 (two samples, acc 0.5)
  const ece = (Math.abs(1 - 0.5) * 1 + Math.abs(0.5 - p) * 2) / 3;
  assert.ok(Math.abs(m.ece - ece) < 1e-6, `${m.ece} vs ${ece}`);
});

function syntheticDataset(n: number): Dataset {
  const rng = new Rng(9);
  const make = (count: number) => {
    const x = new Float32Array(count * 16);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      y[i] = i % 3;
      for (let j = 0; j < 16; j++) x[i * 16 + j] = rng.normal() * 0.3 + (j % 3 === y[i] ? 1 : 0);
    }
    return { x, y, n: count };
  };
  return { name: 'synthetic', modality: 'image', numClasses: 3, shape: [4, 4, 1], train: make(n), test: make(24) };
}

test('training learns a separable problem, and tensors do not grow across epochs', async () => {
  const exp = parseConfig(`name: t
seeds: [1]
datasets: [digits]
methods: [baseline, {mixup: {alpha: 0.4}}]
model: {dim: 8, depth: 1, heads: 2, mlpDim: 16, patch: 2, dropout: 0.1}
train: {epochs: 6, batchSize: 16, lr: 0.01, warmupEpochs: 0}
`, 't.yaml');
  const ds = syntheticDataset(96);
  for (const spec of planRuns(exp).runs) {
    const before = tf.memory().numTensors;
    const out = await trainRun(spec, ds);
    assert.equal(out.curve.length, 6);
    const counts = out.curve.map((c) => c.numTensors);
    assert.ok(counts.every((c) => c === counts[0]), `numTensors per epoch: ${counts.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'model, optimizer slots and batches are all disposed');
    assert.ok(out.curve[5].trainLoss < out.curve[0].trainLoss, `${spec.method.name}: loss falls`);
    assert.ok(Math.max(...out.curve.map((c) => c.testAccuracy)) > 0.8, `${spec.method.name}: learns`);
  }
});
