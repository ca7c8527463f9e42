/**
 * One cell key for every table, plot, claim and ensemble: a limited-data config (digits and {name: digits,
 * trainFraction: 0.1}, as configs/papers/gmix.yaml) with ensemble members, its records split over two directories
 * (shards) and merged by `mixbench report`. Full and limited runs must never be pooled or reported as conflicting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { recordFormat, type RunRecord } from '../src/core/record';
import { writeOrbitLogits } from '../src/store/orbit';
import { runDir, writeRunRecord } from '../src/store/records';
import { CLI, tempDir } from './helpers';
import { parseCsv } from './sweep-util';

const CONFIG = `name: limited
seeds: [1, 2]
datasets: [digits, {name: digits, trainFraction: 0.1}]
methods: [baseline, mixup]
train: {epochs: 2}
ensemble: {members: 2, augment: {group: c4}}
claims:
  - {better: mixup, than: baseline, dataset: digits-train0.1}
`;

/** Accuracy of a run: full data ≈ 0.9, limited ≈ 0.5; mixup a little better; seeds and members jitter. */
function accuracy(limited: boolean, method: string, seed: number, member: number): number {
  return (limited ? 0.5 : 0.9) + (method === 'mixup' ? 0.02 : 0) + 0.001 * seed + 0.0001 * member;
}

/** Orbit logits of a member: 4 C4 elements × 5 test examples × 10 classes, correct on the first `right` examples. */
function orbitOf(right: number): { orbit: Float32Array[]; labels: Int32Array } {
  const examples = 5;
  const classes = 10;
  const orbit = [0, 1, 2, 3].map((g) => {
    const logits = new Float32Array(examples * classes);
    for (let i = 0; i < examples; i++) logits[i * classes + (i < right ? i : (i + 1) % classes)] = 3 + g;
    return logits;
  });
  return { orbit, labels: Int32Array.from([0, 1, 2, 3, 4]) };
}

test('limited-data runs merged from two shards: one cell per dataset label in summary, ensembles and claims; no false conflicts', () => {
  const dir = tempDir();
  const exp = parseConfig(CONFIG, 'limited.yaml');
  const plan = planRuns(exp);
  assert.equal(plan.runs.length, 16);
  const shards = [join(dir, 'shard1'), join(dir, 'shard2')];
  for (const shard of shards) mkdirSync(shard); // a sweep's output directory exists before records are written into it
  plan.runs.forEach((spec, i) => {
    const limited = spec.dataset.trainFraction !== undefined;
    const acc = accuracy(limited, spec.method.name, spec.seed, spec.member!.index);
    const curve = [1, 2].map((epoch) => ({ epoch, trainLoss: 1 / epoch, testAccuracy: acc - 0.01 * (2 - epoch), testNll: 0.5, testEce: 0.05, lr: 0.001, seconds: 1, numTensors: 40 }));
    const output = shards[i % 2];
    const record: RunRecord = {
      format: recordFormat(), id: spec.id, status: 'ok', spec,
      metrics: { bestAccuracy: acc, lastAccuracy: acc, bestEpoch: 2, testNll: 0.5, ece: 0.05, finalTrainLoss: 0.5, trainSeconds: 2, samplesPerSec: 100, parameterCount: 1000 },
      curve,
      environment: { node: 'v20', tfjs: '4.22.0', backend: 'cpu', backendPackage: '@tensorflow/tfjs-backend-cpu', threads: 1, device: null, platform: 'linux-x64', cpu: 'test', cores: 2, gitCommit: null, mixbench: '0.1.0' },
      error: null, wallSeconds: 2, finishedAt: '2026-01-01T00:00:00.000Z', attempt: 1,
      noise: { type: 'none', rate: 0, labelFraction: 0, inputFraction: 0, corrupted: 0 }, memorisation: null, oversmoothing: null,
      orbit: writeOrbitLogits(runDir(output, spec.id), orbitOf(limited ? 2 : 5), 'c4', 10, output),
    };
    writeRunRecord(output, record);
  });
  const out = join(dir, 'merged');
  writeFileSync(join(dir, 'limited.yaml'), CONFIG);
  const r = spawnSync(process.execPath, [CLI, 'report', ...shards, '-o', out, '--config', join(dir, 'limited.yaml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /different settings|mix them/, 'full and limited runs of one dataset are not a conflict');

  const summary = parseCsv(readFileSync(join(out, 'summary.csv'), 'utf8'));
  const col = (name: string) => summary[0].indexOf(name);
  const rows = summary.slice(1).map((row) => `${row[col('dataset')]}/${row[col('method')]}: n=${row[col('n')]} acc=${Number(row[col('acc_mean')]).toFixed(5)}`);
  assert.deepEqual(rows, [
    'digits/baseline: n=4 acc=0.90155',
    'digits/mixup: n=4 acc=0.92155',
    'digits-train0.1/baseline: n=4 acc=0.50155',
    'digits-train0.1/mixup: n=4 acc=0.52155',
  ]);

  // Ensembles: one group per (dataset label, noise, method, seed) with its own 2 members; never 4 pooled members.
  const ens = parseCsv(readFileSync(join(out, 'ensembles.csv'), 'utf8'));
  const e = (name: string) => ens[0].indexOf(name);
  const full = ens.slice(1).filter((row) => row[e('size')] === row[e('members')]);
  assert.deepEqual(
    full.map((row) => `${row[e('dataset')]}/${row[e('method')]}/s${row[e('seed')]}: ${row[e('members')]} members, acc ${row[e('ensemble_acc')]}`).sort(),
    ['digits', 'digits-train0.1'].flatMap((d) => ['baseline', 'mixup'].flatMap((m) => [1, 2].map((s) => `${d}/${m}/s${s}: 2 members, acc ${d === 'digits' ? '1' : '0.400000'}`))).sort(),
  );

  // The claim names the limited-data cell and pairs its 2 seeds × 2 members only.
  const claims = readFileSync(join(out, 'claims.txt'), 'utf8');
  assert.match(claims, /mixup > baseline, best-epoch accuracy, digits-train0\.1, clean data: \+0\.020, .*4 seeds/);
});
