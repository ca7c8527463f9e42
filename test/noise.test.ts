import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import type { ResolvedNoise } from '../src/core/experiment';
import type { Dataset } from '../src/data/dataset';
import { loadDataset } from '../src/data/load';
import { applyNoise } from '../src/data/noise';
import { ConfigError } from '../src/errors';
import { CLI, tempDir } from './helpers';

const SEED = 20240601;
const letters = loadDataset({ name: 'letters', limit: 4000 }, SEED);

function noiseOf(yaml: string): ResolvedNoise[] {
  return parseConfig(`name: t\ndatasets: [letters]\nmethods: [baseline]\nnoise:\n${yaml}`, 'c.yaml').noise;
}
const one = (yaml: string) => noiseOf(yaml)[0];

function issues(text: string): string[] {
  try {
    parseConfig(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues.map((i) => `${i.line}:${i.col}: ${i.message}`);
  }
  return assert.fail('expected a ConfigError');
}

test("config: the issue's noise list expands into settings and runs; bad rates and types are located", () => {
  const exp = parseConfig(`name: t
seeds: [1, 2]
datasets: [letters]
methods: [baseline, mixup]
noise:
  - none
  - {label: {type: symmetric, rate: [0.2, 0.4, 0.6]}}
  - {input: {type: gaussian, std: 0.5}}
`, 'c.yaml');
  assert.deepEqual(exp.noise.map((n) => n.label), ['none', 'symmetric-0.2', 'symmetric-0.4', 'symmetric-0.6', 'gaussian-0.5']);
  assert.deepEqual(exp.noise[2], { label: 'symmetric-0.4', kind: 'label', type: 'symmetric', rate: 0.4 });
  assert.equal(planRuns(exp).runs.length, 5 * 2 * 2);
  const bad = issues(`name: t
datasets: [letters]
methods: [baseline]
noise:
  - {label: {type: symmetric, rate: [0.2, 1.0]}}
  - {label: {type: flip, rate: 0.1}}
  - {text: {type: replace, rate: 0.1}}
`);
  assert.equal(bad.length, 3, bad.join('\n'));
  assert.ok(bad.some((m) => /^5:\d+: noise\[0\]\.label\.rate\[1\]: noise rate must be in \[0, 1\), got 1/.test(m)), bad.join('\n'));
  assert.ok(bad.some((m) => /^6:\d+: .*symmetric, uniform, asymmetric/.test(m)), bad.join('\n'));
  assert.ok(bad.some((m) => /replace-0.1: text noise needs text data/.test(m)), bad.join('\n'));
  assert.match(issues('name: t\ndatasets: [letters]\nmethods: [baseline]\nnoise: [{label: {type: asymmetric, rate: 0.1, map: [30]}}]\n')[0], /map sends class 0 to 30/);
});

function changed(a: Int32Array, b: Int32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) c++;
  return c;
}

test('symmetric label noise: exactly round(rate·n) labels move to another class; training split only; seeded; nested rates', () => {
  const n = letters.train.n;
  const a = applyNoise(letters, one('  - {label: {type: symmetric, rate: 0.4}}'), 1);
  assert.equal(changed(a.ds.train.y, letters.train.y), Math.round(0.4 * n));
  assert.equal(a.realised.corrupted, Math.round(0.4 * n));
  assert.ok(Math.abs(a.realised.labelFraction - 0.4) < 1 / n);
  assert.equal(a.realised.inputFraction, 0);
  assert.equal(a.ds.test, letters.test, 'the test split is untouched');
  assert.equal(a.ds.train.x, letters.train.x);
  assert.deepEqual(a.trueLabels, Int32Array.from(a.corruptedIdx, (i) => letters.train.y[i]));
  assert.deepEqual(applyNoise(letters, one('  - {label: {type: symmetric, rate: 0.4}}'), 1).ds.train.y, a.ds.train.y, 'same (seed, spec), same data');
  assert.notDeepEqual(applyNoise(letters, one('  - {label: {type: symmetric, rate: 0.4}}'), 2).ds.train.y, a.ds.train.y);
  const b = applyNoise(letters, one('  - {label: {type: symmetric, rate: 0.2}}'), 1);
  const set = new Set(a.corruptedIdx);
  assert.ok([...b.corruptedIdx].every((i) => set.has(i) && b.ds.train.y[i] === a.ds.train.y[i]), '0.2 ⊂ 0.4 under one seed');
  // Roughly uniform over the other classes.
  const moved = new Array<number>(26).fill(0);
  for (const i of a.corruptedIdx) moved[(a.ds.train.y[i] - letters.train.y[i] + 26) % 26]++;
  assert.equal(moved[0], 0);
  assert.ok(Math.min(...moved.slice(1)) > 0.4 * (a.realised.corrupted / 25));
});

test('uniform label noise redraws with the true class included (realised ≈ rate·(K−1)/K); asymmetric moves k → k+1 or a map', () => {
  const u = applyNoise(letters, one('  - {label: {type: uniform, rate: 0.5}}'), 3);
  assert.ok(Math.abs(u.realised.labelFraction - 0.5 * 25 / 26) < 0.03, String(u.realised.labelFraction));
  const a = applyNoise(letters, one('  - {label: {type: asymmetric, rate: 0.3}}'), 3);
  assert.equal(a.realised.corrupted, Math.round(0.3 * letters.train.n));
  for (const i of a.corruptedIdx) assert.equal(a.ds.train.y[i], (letters.train.y[i] + 1) % 26);
  const m = applyNoise(letters, one('  - {label: {type: asymmetric, rate: 0.3, map: {0: 4}}}'), 3);
  for (const i of m.corruptedIdx) assert.deepEqual([letters.train.y[i], m.ds.train.y[i]], [0, 4]);
  assert.ok(m.realised.corrupted > 0);
});

test('input noise: gaussian with std relative to each feature; outliers replace inputs and labels', () => {
  const g = applyNoise(letters, one('  - {input: {type: gaussian, std: 0.5}}'), 4);
  assert.equal(g.realised.inputFraction, 1);
  assert.equal(g.realised.labelFraction, 0);
  let sq = 0;
  for (let i = 0; i < g.ds.train.x.length; i++) sq += (g.ds.train.x[i] - letters.train.x[i]) ** 2;
  // Standardised features have std 1: the added noise has std 0.5.
  assert.ok(Math.abs(Math.sqrt(sq / g.ds.train.x.length) - 0.5) < 0.01);
  assert.notEqual(letters.train.x[0], g.ds.train.x[0], 'a copy was corrupted');
  const o = applyNoise(letters, one('  - {input: {type: outliers, rate: 0.1}}'), 4);
  assert.ok(Math.abs(o.realised.inputFraction - 0.1) < 1 / letters.train.n);
  assert.ok(Math.abs(o.realised.labelFraction - 0.1 * 25 / 26) < 0.02);
});

test('text noise: token replacement and deletion at a rate, padding stays at the end, no text becomes empty', () => {
  const ds: Dataset = loadDataset({ name: 'spam-subjects', maxLength: 16 }, SEED);
  const cfg = (t: string) => parseConfig(`name: t\ndatasets: [spam-subjects]\nmethods: [baseline]\nnoise: [{text: {type: ${t}, rate: 0.3}}]\n`, 'c.yaml').noise[0];
  for (const type of ['replace', 'delete']) {
    const r = applyNoise(ds, cfg(type), 5);
    assert.ok(Math.abs(r.realised.tokenFraction! - 0.3) < 0.02, `${type} ${r.realised.tokenFraction}`);
    assert.ok(r.realised.inputFraction > 0.5);
    assert.equal(r.realised.labelFraction, 0);
    for (let i = 0; i < ds.train.n; i++) {
      const row = r.ds.train.x.subarray(i * 16, (i + 1) * 16);
      assert.ok(row[0] !== 0, 'empty text');
      const p = row.indexOf(0);
      if (p >= 0) assert.ok(row.subarray(p).every((v) => v === 0));
      if (type === 'replace') assert.equal(p, ds.train.x.subarray(i * 16, (i + 1) * 16).indexOf(0));
    }
  }
});

test('mixbench run on noisy data records realised noise and memorisation, and runs.csv has the columns', () => {
  const dir = tempDir();
  const cfg = join(dir, 'n.yaml');
  writeFileSync(cfg, `name: n
seeds: [1]
datasets: [{name: digits, limit: 256}]
methods: [baseline]
noise: [none, {label: {type: symmetric, rate: 0.4}}]
model: {type: transformer, dim: 16, depth: 1, heads: 2, mlpDim: 32, patch: 4}
train: {epochs: 2, batchSize: 32, lr: 0.003}
backend: cpu
output: ${join(dir, 'out')}
`);
  const r = spawnSync(process.execPath, [CLI, 'run', cfg, '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const recs = readdirSync(join(dir, 'out', 'runs')).map((d) => JSON.parse(readFileSync(join(dir, 'out', 'runs', d, 'result.json'), 'utf8')));
  const noisy = recs.find((x) => x.spec.noise.label === 'symmetric-0.4');
  const clean = recs.find((x) => x.spec.noise.label === 'none');
  assert.equal(noisy.noise.corrupted, Math.round(0.4 * 256));
  assert.equal(noisy.noise.labelFraction, Math.round(0.4 * 256) / 256);
  assert.equal(clean.noise.labelFraction, 0);
  assert.equal(clean.memorisation, null);
  assert.equal(noisy.memorisation.examples, 102);
  assert.ok(noisy.memorisation.noisyFit >= 0 && noisy.memorisation.noisyFit <= 1);
  assert.equal(noisy.curve.length, 2);
  for (const e of noisy.curve) assert.ok(typeof e.noisyFit === 'number' && typeof e.trueFit === 'number');
  const csv = readFileSync(join(dir, 'out', 'runs.csv'), 'utf8').trim().split('\n');
  const cols = csv[0].split(',');
  for (const c of ['noise_type', 'noise_rate', 'realised_label_noise', 'mem_noisy_fit', 'mem_true_fit']) assert.ok(cols.includes(c), c);
  const row = csv.slice(1).map((l) => l.split(',')).find((v) => v[cols.indexOf('noise')] === 'symmetric-0.4')!;
  assert.equal(row[cols.indexOf('noise_type')], 'symmetric');
  assert.equal(Number(row[cols.indexOf('noise_rate')]), 0.4);
  assert.equal(Number(row[cols.indexOf('realised_label_noise')]), 0.398438);
});
