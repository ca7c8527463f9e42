import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, tempDir } from './helpers';

function tinyConfig(dir: string, backend: string): string {
  const path = join(dir, 'tiny.yaml');
  writeFileSync(path, `name: tiny
seeds: [1, 2]
datasets: [{name: digits, limit: 160}]
methods:
  - baseline
  - mixup: {alpha: 0.4}
model: {type: transformer, dim: 16, depth: 1, heads: 2, mlpDim: 32, patch: 2}
train: {epochs: 2, batchSize: 32, lr: 0.003}
backend: ${backend}
output: ${join(dir, 'out')}
`);
  return path;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const cols = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

test('mixbench run trains a tiny config end to end and writes the CSVs and run records', () => {
  const dir = tempDir();
  const cfg = tinyConfig(dir, 'wasm');
  const r = run(['run', cfg, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string });
  assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ['backend', 'done', 'epoch', 'plan', 'run_finished', 'run_started', 'tables'].sort());
  const runs = parseCsv(readFileSync(join(dir, 'out', 'runs.csv'), 'utf8'));
  assert.equal(runs.length, 4);
  for (const row of runs) {
    assert.equal(row.status, 'ok');
    assert.equal(row.backend, 'wasm');
    assert.equal(row.epochs, '2');
    const best = Number(row.best_acc);
    const last = Number(row.last_acc);
    assert.ok(best >= last && best >= 0 && best <= 1, `accuracies are fractions: ${best}, ${last}`);
    assert.ok(Number(row.samples_per_sec) > 0);
    const rec = JSON.parse(readFileSync(join(dir, 'out', 'runs', row.run_id, 'result.json'), 'utf8'));
    assert.equal(rec.environment.backend, 'wasm');
    assert.equal(rec.environment.threads, 1);
    assert.equal(rec.curve.length, 2);
    assert.ok(existsSync(join(dir, 'out', 'runs', row.run_id, 'done')));
  }
  const summary = parseCsv(readFileSync(join(dir, 'out', 'summary.csv'), 'utf8'));
  assert.deepEqual(summary.map((s) => s.method), ['baseline', 'mixup']);
  assert.equal(summary[0].n, '2');
  assert.equal(Number(summary[0].acc_delta_vs_baseline), 0);
  const base = runs.filter((x) => x.method === 'baseline').map((x) => Number(x.best_acc));
  assert.ok(Math.abs(Number(summary[0].acc_mean) - (base[0] + base[1]) / 2) < 1e-6);

  // A second invocation resumes: nothing to run, same tables.
  const again = run(['run', cfg, '--quiet']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(parseCsv(readFileSync(join(dir, 'out', 'runs.csv'), 'utf8')), runs);
});

for (const backend of ['cpu', 'wasm']) {
  test(`the same config, seed and backend give identical metrics (${backend})`, () => {
    const curves: unknown[] = [];
    for (let k = 0; k < 2; k++) {
      const dir = tempDir();
      const cfg = tinyConfig(dir, backend);
      const r = run(['run', cfg, '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      const runs = parseCsv(readFileSync(join(dir, 'out', 'runs.csv'), 'utf8'));
      curves.push(
        runs.map((row) => {
          const rec = JSON.parse(readFileSync(join(dir, 'out', 'runs', row.run_id, 'result.json'), 'utf8'));
          return { id: row.run_id, curve: rec.curve.map((c: Record<string, number>) => [c.trainLoss, c.testAccuracy, c.testNll, c.testEce]) };
        }),
      );
    }
    assert.deepEqual(curves[0], curves[1]);
  });
}

test('config errors exit 2 with file:line:col and nothing is run', () => {
  const dir = tempDir();
  const path = join(dir, 'bad.yaml');
  writeFileSync(path, 'name: bad\ndatasets: [digits]\nmethods: [baseline]\ntrain: {epochs: -1}\n');
  const r = run(['run', path]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:\\d+: train\\.epochs`));
  assert.ok(!existsSync(join(dir, 'results')));
  const v = run(['validate', path]);
  assert.equal(v.status, 2);
  assert.equal(run(['run', join(dir, 'missing.yaml')]).status, 2);
  assert.equal(run(['frobnicate']).status, 2);
});

test('an explicitly requested backend that cannot load exits 2 and says what to install', () => {
  const dir = tempDir();
  const r = run(['run', tinyConfig(dir, 'tensorflow-gpu')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /tfjs-node-gpu/);
  assert.match(r.stderr, /CUDA 11\.2 and cuDNN 8\.1/);
});

test('plan --json lists the run matrix without training', () => {
  const dir = tempDir();
  const out = execFileSync(process.execPath, [CLI, 'plan', tinyConfig(dir, 'cpu'), '--json'], { encoding: 'utf8' });
  const plan = JSON.parse(out) as { runs: { id: string; initSeed: number }[] };
  assert.equal(plan.runs.length, 4);
  assert.ok(plan.runs.every((r) => r.initSeed > 0));
  assert.ok(!existsSync(join(dir, 'out')));
});

test('package.json main is the compiled CLI module, which exports main', () => {
  const root = join(__dirname, '..', '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  assert.ok(existsSync(join(root, pkg.main)), `${pkg.main} exists`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const entry = require(join(root, pkg.main)) as { main?: unknown };
  assert.equal(typeof entry.main, 'function');
});
