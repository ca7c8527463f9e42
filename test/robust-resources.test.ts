/**
 * Resource limits (src/config/resources.ts): the parameter count equals the built network's; the memory estimate stays
 * above tfjs's own peak byte count of real training steps and evaluation batches (and not far above); plans too large
 * for the wasm heap or the machine are refused before training with the estimate and a fix that fits; a loss that
 * goes NaN for real (an absurd learning rate) is recorded as diverged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../src/tf';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { checkResources, estimateRunMemory, machineMemory, parameterCount, parseBytes, WASM_HEAP_LIMIT } from '../src/config/resources';
import type { Dataset } from '../src/data/dataset';
import { buildModel } from '../src/model/build';
import { trainRun } from '../src/train/loop';
import { predictLogits } from '../src/train/predict';
import { UsageError } from '../src/errors';
import { CLI, tempDir, useBackend } from './helpers';
import { parseCsv, TINY_MODEL } from './sweep-util';

function synth(shape: number[], n: number, K: number, modality: Dataset['modality'], vocab = 0, testN = 2): Dataset {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = modality === 'text' ? 2 + (i % (vocab - 2)) : (i % 7) / 7;
  const y = Int32Array.from({ length: n }, (_, i) => i % K);
  return { name: 's', modality, numClasses: K, shape, train: { x, y, n }, test: { x: x.slice(0, testN * size), y: y.slice(0, testN), n: testN }, vocabSize: vocab || undefined };
}

function spec(model: string, train: string, method = 'baseline') {
  return planRuns(parseConfig(`name: r\ndatasets: [digits]\nmethods: [${method}]\nseeds: [1]\nmodel: ${model}\ntrain: ${train}\n`, 'r.yaml')).runs[0];
}

const CASES: [string, string, number[], number, Dataset['modality'], number, string?][] = [
  ['{dim: 64, depth: 2, heads: 4, mlpDim: 128, patch: 2}', '{batchSize: 64, evalBatchSize: 64}', [8, 8, 1], 10, 'image', 0],
  ['{dim: 32, depth: 2, heads: 8, mlpDim: 64, patch: 1}', '{batchSize: 8, evalBatchSize: 16}', [8, 8, 1], 10, 'image', 0],
  ['{dim: 32, depth: 2, heads: 2, mlpDim: 64, patch: 4, pool: cls}', '{batchSize: 32, evalBatchSize: 48}', [16, 16, 3], 5, 'image', 0],
  ['{dim: 48, depth: 2, heads: 4}', '{batchSize: 32, evalBatchSize: 64, optimizer: sgd}', [16], 26, 'tabular', 0],
  ['{dim: 32, depth: 1, heads: 2}', '{batchSize: 32, evalBatchSize: 32}', [24], 2, 'text', 3000],
  ['{type: mlp, hidden: [300, 200]}', '{batchSize: 96, evalBatchSize: 128}', [64], 10, 'tabular', 0],
  ['{dim: 32, depth: 2, heads: 4, mlpDim: 64, patch: 2}', '{batchSize: 32, evalBatchSize: 32}', [8, 8, 1], 10, 'image', 0, 'bgmix'],
  ['{dim: 32, depth: 2, heads: 4, mlpDim: 64, patch: 2}', '{batchSize: 32, evalBatchSize: 32}', [8, 8, 1], 10, 'image', 0, 'amplify'],
];

test('the parameter count is the built network\'s, for Transformers (image, tabular, text, cls) and MLPs', async () => {
  await useBackend('cpu');
  for (const [model, train, shape, K, modality, vocab] of CASES) {
    const s = spec(model, train);
    const ds = synth(shape, 4, K, modality, vocab);
    const m = buildModel(s.model, ds, 1);
    assert.equal(parameterCount(s, ds), m.parameterCount, model);
    m.dispose();
  }
});

test('the memory estimate is above tfjs\'s measured peak of a training step and of an evaluation batch, and within 1.6× of it', { timeout: 600_000 }, async () => {
  await useBackend('cpu');
  for (const [model, train, shape, K, modality, vocab, method] of CASES) {
    const s = spec(model, `{epochs: 1, ${train.slice(1)}`, method ?? 'baseline');
    // One step of training: a training split of one batch; a test split too small to matter.
    const ds = synth(shape, s.train.batchSize, K, modality, vocab);
    const e = estimateRunMemory(s, { ...ds, test: { n: 2 } });
    const trainPeak = (await tf.profile(async () => { await trainRun(s, ds); })).peakBytes;
    const evalDs = synth(shape, s.train.evalBatchSize, K, modality, vocab, s.train.evalBatchSize);
    const m = buildModel(s.model, evalDs, 1);
    const evalPeak = (await tf.profile(() => { predictLogits(m, evalDs, evalDs.test.x, evalDs.test.n, s.train.evalBatchSize); })).peakBytes;
    m.dispose();
    const evalEstimate = estimateRunMemory(s, evalDs).evaluation - estimateRunMemory(s, evalDs).optimizerState;
    const what = `${method ?? 'baseline'} ${model} ${train}`;
    assert.ok(e.trainStep >= trainPeak && e.trainStep <= 1.6 * trainPeak, `${what}: training step estimate ${e.trainStep} vs measured ${trainPeak}`);
    assert.ok(evalEstimate >= evalPeak && evalEstimate <= 1.6 * evalPeak, `${what}: evaluation estimate ${evalEstimate} vs measured ${evalPeak}`);
  }
});

test('checkResources: over the wasm heap → refused with the estimate and a batch size that fits; -j multiplies; MIXBENCH_MEMORY_LIMIT', () => {
  const ds = { modality: 'image' as const, shape: [8, 8, 1], numClasses: 10, train: { n: 256 }, test: { n: 256 } };
  const big = spec('{dim: 256, depth: 2, heads: 8, mlpDim: 512, patch: 1}', '{batchSize: 256, evalBatchSize: 128}');
  const e = estimateRunMemory(big, ds);
  assert.ok(e.peak > WASM_HEAP_LIMIT);
  let msg = '';
  try {
    checkResources([big], () => ds, { backend: 'wasm', jobs: 1 });
  } catch (err) {
    assert.ok(err instanceof UsageError);
    msg = err.message;
  }
  assert.match(msg, /too large for the wasm backend: run .* needs about 4\.\d+ GiB/);
  const fits = Number(/train\.batchSize 256 → (\d+) or less/.exec(msg)![1]);
  assert.ok(estimateRunMemory({ ...big, train: { ...big.train, batchSize: fits } }, ds).peak <= WASM_HEAP_LIMIT);
  assert.ok(estimateRunMemory({ ...big, train: { ...big.train, batchSize: fits + 1 } }, ds).peak > WASM_HEAP_LIMIT * 0.95);
  // The same run on the cpu backend fits a 24 GB machine, but not one of 2 GiB, and not four of them in 16 GiB.
  const small = spec('{dim: 64, depth: 2, heads: 4, patch: 1}', '{batchSize: 512, evalBatchSize: 512}');
  const e2 = estimateRunMemory(small, ds);
  const env = (limit: string) => ({ MIXBENCH_MEMORY_LIMIT: limit });
  checkResources([small], () => ds, { backend: 'cpu', jobs: 1, env: env(String(Math.ceil(e2.peak * 2))) });
  assert.throws(() => checkResources([small], () => ds, { backend: 'cpu', jobs: 1, env: env(String(Math.floor(e2.peak))) }), /too large for this machine: .*MIXBENCH_MEMORY_LIMIT is/);
  const limit = Math.ceil(2.5 * (e2.peak + e2.data + 256 * 2 ** 20));
  checkResources([small, { ...small, id: 'other' }], () => ds, { backend: 'cpu', jobs: 2, env: env(String(limit)) });
  assert.throws(() => checkResources([small, { ...small, id: 'b' }, { ...small, id: 'c' }], () => ds, { backend: 'cpu', jobs: 3, env: env(String(limit)) }), /× 3 worker processes[\s\S]*run fewer workers \(-j 2\)/);
  assert.equal(parseBytes('8G'), 8 * 2 ** 30);
  assert.equal(parseBytes('512 MiB'), 512 * 2 ** 20);
  assert.equal(parseBytes('lots'), undefined);
  assert.throws(() => machineMemory({ MIXBENCH_MEMORY_LIMIT: 'lots' }), /MIXBENCH_MEMORY_LIMIT="lots" is not a size/);
  assert.ok(machineMemory({}).bytes > 2 ** 28);
});

test('mixbench run and validate refuse a model too large for the machine before any training, with the estimate', () => {
  const dir = tempDir('mixbench-resources-');
  const cfg = join(dir, 'huge.yaml');
  writeFileSync(cfg, `name: huge\nseeds: [1]\ndatasets: [{name: digits, limit: 100}]\nmethods: [baseline]\nmodel: {dim: 8192, depth: 64, heads: 8, mlpDim: 32768}\ntrain: {epochs: 1, batchSize: 8}\nbackend: cpu\noutput: ${join(dir, 'out')}\n`);
  for (const cmd of ['validate', 'run']) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, cmd, cfg], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /too large for this machine: run digits-baseline-none-s1-\w+ needs about [\d.]+ [GT]iB of tensor memory at once \(\d+ M parameters = \d+ GiB/);
    assert.match(r.stderr, /Fix: .*smaller model\.dim, model\.depth or model\.mlpDim/);
    assert.ok(Date.now() - t0 < 60_000);
  }
});

test('a loss that goes NaN for real (learning rate 1e30) is recorded as diverged, and the sweep exits 1', () => {
  const dir = tempDir('mixbench-nan-');
  const cfg = join(dir, 'nan.yaml');
  writeFileSync(cfg, `name: nan\nseeds: [1]\ndatasets: [{name: digits, limit: 100}]\nmethods: [baseline]\nmodel: ${TINY_MODEL}\ntrain: {epochs: 3, batchSize: 32, lr: 1e30, warmupEpochs: 0, schedule: constant}\nbackend: cpu\noutput: ${join(dir, 'out')}\n`);
  const r = spawnSync(process.execPath, [CLI, 'run', cfg, '-q'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 1, r.stderr);
  const rows = parseCsv(readFileSync(join(dir, 'out', 'runs.csv'), 'utf8'));
  const status = rows[1][rows[0].indexOf('status')];
  assert.equal(status, 'diverged');
  assert.match(rows[1][rows[0].indexOf('error')], /NaN\/Inf at epoch \d+/);
});
