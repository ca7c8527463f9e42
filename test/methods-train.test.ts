/** Methods in the real training loop (no tensor growth, evaluation without mixing) and in configs (composition). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import type { RunSpec } from '../src/core/run';
import { resolveTrain } from '../src/config/resolve';
import { parseConfig } from '../src/config/load';
import { ConfigError } from '../src/errors';
import type { Dataset } from '../src/data/dataset';
import { methodInfo, methodNames } from '../src/methods/index';
import { formatMethods } from '../src/methods/describe';
import { trainRun } from '../src/train/loop';
import { Rng } from '../src/util/rng';
import { tinyConfig } from './methods-util';

before(async () => {
  await useBackend('cpu');
});

function synthetic(n: number, nTest: number): Dataset {
  const rng = new Rng(1);
  const make = (m: number) => {
    const y = Int32Array.from({ length: m }, (_, i) => i % 3);
    const x = new Float32Array(m * 16).map((_, j) => rng.normal() * 0.5 + y[Math.floor(j / 16)]);
    return { x, y, n: m };
  };
  return { name: 'syn', modality: 'image', numClasses: 3, shape: [4, 4, 1], train: make(n), test: make(nTest) };
}

function spec(parts: Record<string, Record<string, unknown>>): RunSpec {
  return {
    id: 'x', experiment: 'x', dataset: { name: 'syn' }, noise: { label: 'none' }, seed: 1, initSeed: 5, methodSeed: 9, splitSeed: 1,
    method: {
      name: Object.keys(parts).join('+'),
      parts: Object.entries(parts).map(([m, o]) => ({ method: m, options: methodInfo(m)!.options.parse(o) })),
    },
    // A method that refuses mean pooling (TransMix reads the class token) trains the CLS Transformer.
    model: Object.entries(parts).some(([m, o]) => methodInfo(m)!.checkModel(o, tinyConfig())) ? tinyConfig({ pool: 'cls' }) : tinyConfig(),
    train: resolveTrain({ epochs: 3, batchSize: 8, warmupEpochs: 0, evalBatchSize: 16 }),
  };
}

test('no tensor growth per step for every method (and a composed one), in the training loop', async () => {
  const ds = synthetic(24, 12);
  const all: Record<string, Record<string, unknown>>[] = methodNames().map((m) => ({ [m]: {} }));
  all.push({ amplify: { lambda: 'beta', alpha: 1 }, neutreno: {}, 'label-smoothing': {} }, { mixup: {}, sam: {} }, { dgmix: { adaptive: true }, neutreno: {} },
    { transmix: { switchProb: 1 }, 'label-smoothing': {}, neutreno: {} }, { transmix: {}, sam: {} });
  for (const p of all) {
    const before0 = tf.memory().numTensors;
    const out = await trainRun(spec(p), ds);
    const counts = out.curve.map((r) => r.numTensors);
    assert.equal(counts[1], counts[0], `${Object.keys(p).join('+')}: ${counts}`);
    assert.equal(counts[2], counts[0], `${Object.keys(p).join('+')}: ${counts}`);
    assert.ok(out.curve.every((r) => Number.isFinite(r.trainLoss)));
    assert.equal(tf.memory().numTensors, before0, `${Object.keys(p).join('+')}: everything disposed after the run`);
  }
});

test('the MLP-capable methods train an MLP (hidden-layer mixing, cutmix on flattened images, two-pass rules)', async () => {
  const ds = synthetic(24, 12);
  for (const m of methodNames().filter((n) => methodInfo(n)!.models.includes('mlp'))) {
    const s = { ...spec({ [m]: m === 'manifold-mixup' ? { layers: [0, 1] } : {} }), model: { type: 'mlp' as const, hidden: [16, 16], dropout: 0 } };
    const out = await trainRun(s, ds);
    assert.ok(out.curve.every((r) => Number.isFinite(r.trainLoss)), m);
    assert.equal(out.curve[2].numTensors, out.curve[0].numTensors, m);
  }
});

test('evaluation sees the plain network: mixing parts leave no hooks at evaluation, NeuTRENO does', async () => {
  const { networkHooks } = await import('../src/train/step');
  const { instantiateMethod } = await import('../src/methods/registry');
  for (const m of methodNames()) {
    const options = methodInfo(m)!.options.parse({});
    // Methods that refuse the mean-pooled model (transmix) get the CLS one.
    const model = methodInfo(m)!.checkModel(options, tinyConfig()) ? tinyConfig({ pool: 'cls' }) : tinyConfig();
    const ps = instantiateMethod({ name: m, parts: [{ method: m, options }] }, model);
    assert.equal(networkHooks(ps) !== undefined, m === 'neutreno', m);
  }
});

function issues(text: string): string {
  try {
    parseConfig(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join('\n');
  }
  return '';
}

test('composition: combinable parts resolve; incompatible ones are config errors naming both parts and the line', () => {
  const exp = parseConfig(`name: x
datasets: [digits]
methods:
  - {method: amplify, neutreno: {lambda: 0.6}}
  - {method: gmix, rho: 0.1, label-smoothing: {epsilon: 0.2}}
  - {method: cutmix, sam: {rho: 0.05, adaptive: true}}
  - manifold-mixup: {layers: [embed, 1]}
`, 'c.yaml');
  assert.deepEqual(exp.methods.map((m) => m.name), ['amplify+neutreno', 'gmix+label-smoothing', 'cutmix+sam', 'manifold-mixup']);
  assert.deepEqual(exp.methods[0].parts, [{ method: 'amplify', options: { lambda: 'max-beta', alpha: 0.1 } }, { method: 'neutreno', options: { lambda: 0.6 } }]);
  assert.deepEqual(exp.methods[1].parts[0].options, { alpha: 1, rho: 0.1, adaptive: false });

  assert.match(issues(`name: x
datasets: [digits]
methods:
  - baseline
  - {method: gmix, sam: {rho: 0.1}}
`), /c\.yaml:5:\d+: .*cannot combine gmix with sam: both are optimizer methods/);
  assert.match(issues(`name: x
datasets: [digits]
methods:
  - {method: mixup, cutmix: {}}
`), /c\.yaml:4:\d+: .*cannot combine mixup with cutmix: both are mixing methods/);
  assert.match(issues(`name: x
datasets: [letters]
methods:
  - cutmix
`), /c\.yaml:4:\d+: .*cutmix cannot act on tabular data/);
  const mlp = issues(`name: x
datasets: [letters]
model: {type: mlp}
methods:
  - amplify
  - neutreno
  - manifold-mixup
`);
  assert.match(mlp, /c\.yaml:5:\d+: .*amplify .*needs model.type transformer/);
  assert.match(mlp, /c\.yaml:6:\d+: .*neutreno .*needs model.type transformer/);
  assert.doesNotMatch(mlp, /manifold-mixup/);
  assert.match(issues(`name: x
datasets: [digits]
model: {depth: 2}
methods:
  - manifold-mixup: {layers: [embed, 1, 2]}
`), /c\.yaml:5:\d+: .*manifold-mixup: layers 2 do not exist; the model has blocks 0\.\.1/);
  assert.match(issues(`name: x
datasets: [digits]
methods:
  - amplify: {lambda: max}
  - sam: {rho: -1}
  - {method: mixup, __forceLambda: 1}
`), /c\.yaml:4:\d+: .*amplify: [^\n]*\n.*c\.yaml:5:\d+: .*sam: rho must be >= 0[^\n]*\n.*c\.yaml:6:\d+: .*unknown option "__forceLambda" for mixup/s);
});

test('`mixbench methods` lists every method with family, options, defaults, ranges, cost, paper and the reconstruction notes', () => {
  const text = formatMethods();
  for (const m of methodNames()) {
    const block = `\n${text}`.slice(`\n${text}`.indexOf(`\n${m} — `) + 1).split('\n\n')[0];
    assert.match(block, new RegExp(`^${m} — `), m);
    assert.match(block, new RegExp(`family: ${methodInfo(m)!.family.replace('/', '\\/')};`), `${m}: family`);
  }
  assert.match(text, /rho \(default 0\.05; >= 0\)/);
  assert.match(text, /lambda \(default max-beta; max-beta \| beta\)/);
  const bg = text.slice(text.indexOf('\nbgmix — '), text.indexOf('\ndgmix — '));
  assert.match(bg, /RECONSTRUCTION/);
  assert.match(bg, /paper: .*2308\.03236/);
  assert.match(bg, /extra cost: /);
});
