/**
 * cpu and wasm agree on one training step of a workload-A-like tiny ViT: the loss, every gradient (to 1e-4
 * relative) and the weights after the AdamW update; and the wasm step leaks no tensors. Both backends run in this
 * process (tf.setBackend), each with its own op formulations (configureOps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '../src/tf';
import type { ResolvedModel } from '../src/core/experiment';
import { resolveTrain } from '../src/config/resolve';
import { buildModel } from '../src/model/build';
import { configureOps, oneHot } from '../src/model/ops';
import { createOptimizer } from '../src/train/optimizers';
import { makeStepLoss, plainGradients } from '../src/train/step';
import { Rng } from '../src/util/rng';

const MODEL: ResolvedModel = { type: 'transformer', dim: 32, depth: 2, heads: 4, mlpDim: 64, patch: 2, pool: 'mean', dropout: 0 };
const DS = { modality: 'image' as const, shape: [8, 8, 1], numClasses: 10 };
const BATCH = 16;

interface StepOutcome {
  loss: number;
  grads: Record<string, Float32Array>;
  after: Float32Array[];
  leaked: number;
}

function data(): { x: Float32Array; labels: Int32Array } {
  const rng = new Rng(5);
  const x = new Float32Array(BATCH * 64);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const labels = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) labels[i] = Math.floor(rng.uniform() * 10);
  return { x, labels };
}

async function stepOn(backend: 'cpu' | 'wasm'): Promise<StepOutcome> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} loads`);
  await tf.ready();
  configureOps(backend);
  const model = buildModel(MODEL, DS, 1234);
  const opt = createOptimizer(resolveTrain({ optimizer: 'adamw' }), model.variables);
  const { x, labels } = data();
  const names = model.variables.map((v) => v.name);
  const run = () => tf.tidy(() => {
    const xt = tf.tensor(x, [BATCH, 8, 8, 1]);
    const lossFn = makeStepLoss(model, [], { x: xt, y: oneHot(labels, 10) }, () => 1);
    const { loss, grads } = plainGradients(lossFn, model.variables);
    const host: Record<string, Float32Array> = {};
    for (const n of names) host[n.replace(/^vit\d+\//, '')] = grads[n].dataSync() as Float32Array;
    opt.apply(grads, 1e-3);
    return { loss: loss.dataSync()[0], grads: host };
  });
  const first = run();
  const after = model.variables.map((v) => v.dataSync().slice() as Float32Array);
  const before = tf.memory().numTensors;
  run();
  run();
  const leaked = tf.memory().numTensors - before;
  opt.dispose();
  model.dispose();
  return { ...first, after, leaked };
}

function rel(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-20);
}

test('cpu and wasm agree on one training step: loss and every gradient to 1e-4 relative', async () => {
  const cpu = await stepOn('cpu');
  const wasm = await stepOn('wasm');
  assert.ok(Math.abs(cpu.loss - wasm.loss) <= 1e-4 * Math.abs(cpu.loss), `loss cpu ${cpu.loss} wasm ${wasm.loss}`);
  const names = Object.keys(cpu.grads);
  assert.equal(names.length, 4 + 16 * MODEL.depth + 4 - 1); // patch w/b, pos, blocks, final LN, head
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  for (const n of names) {
    if (n.endsWith('/k/b')) {
      // The key bias adds q·b_k to every score of a query: softmax ignores it, so its gradient is zero up to rounding.
      assert.ok(norm(cpu.grads[n]) < 1e-5 && norm(wasm.grads[n]) < 1e-5, `gradient ${n} is ~0 on both`);
      continue;
    }
    const r = rel(cpu.grads[n], wasm.grads[n]);
    assert.ok(r <= 1e-4, `gradient ${n}: relative difference ${r.toExponential(2)}`);
    assert.ok(norm(cpu.grads[n]) > 1e-6, `gradient ${n} is not zero`);
  }
  // Weights after the AdamW update (the key bias moves by ±lr·sign(rounding noise): skipped).
  cpu.after.forEach((w, i) => {
    if (!names[i].endsWith('/k/b')) assert.ok(rel(w, wasm.after[i]) <= 1e-4, `weights ${names[i]} after the update`);
  });
  assert.equal(wasm.leaked, 0, 'wasm: tensors are flat across steps');
  assert.equal(cpu.leaked, 0, 'cpu: tensors are flat across steps');
});
