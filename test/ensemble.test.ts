import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { ConfigError } from '../src/errors';
import { CLI, tempDir } from './helpers';

const ENSEMBLE = `name: ens
seeds: [1]
datasets: [{name: digits, limit: 120}]
methods: [baseline]
model: {dim: 8, depth: 1, heads: 2, mlpDim: 16, patch: 2}
train: {epochs: 1, batchSize: 20}
ensemble: {members: 3, augment: {group: c4}}
backend: wasm
claims:
  - {ensembleInvariant: baseline, metric: divergence}
`;

test('ensemble members are ordinary runs with their own init seeds and ids', () => {
  const plan = planRuns(parseConfig(ENSEMBLE, 'e.yaml'));
  assert.equal(plan.runs.length, 3);
  assert.deepEqual(plan.runs.map((r) => r.member?.index), [0, 1, 2]);
  assert.equal(new Set(plan.runs.map((r) => r.initSeed)).size, 3);
  assert.ok(plan.runs.every((r) => /-s1-m\d-[0-9a-f]{10}$/.test(r.id)), plan.runs.map((r) => r.id).join(' '));
  assert.throws(() => parseConfig(ENSEMBLE.replace('group: c4', 'group: c5'), 'e.yaml'), ConfigError);
});

test('mixbench run trains an ensemble with C4 augmentation and reports equivariance versus ensemble size', () => {
  const dir = tempDir();
  const cfg = join(dir, 'e.yaml');
  writeFileSync(cfg, `${ENSEMBLE}output: ${join(dir, 'out')}\n`);
  const r = spawnSync(process.execPath, [CLI, 'run', cfg, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = readFileSync(join(dir, 'out', 'ensembles.csv'), 'utf8').trim().split('\n');
  const cols = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
  assert.deepEqual(rows.map((x) => x.size), ['1', '2', '3']);
  for (const row of rows) {
    assert.equal(row.group, 'c4');
    assert.equal(row.members, '3');
    for (const k of ['ensemble_osp', 'member_osp']) assert.ok(Number(row[k]) >= 1 && Number(row[k]) <= 4, `${k} ${row[k]}`);
    for (const k of ['ensemble_acc', 'member_acc']) assert.ok(Number(row[k]) >= 0 && Number(row[k]) <= 1);
    assert.ok(Number(row.ensemble_divergence) >= 0);
  }
  const plots = join(dir, 'out', 'plots', 'equivariance-digits-none.svg');
  assert.ok(existsSync(plots));
  assert.match(readFileSync(plots, 'utf8'), /ensemble size/);
  const claims = readFileSync(join(dir, 'out', 'claims.txt'), 'utf8');
  assert.match(claims, /ensemble of baseline < its members, invariance divergence, digits, seed 1: ensemble \d\.\d{3} vs members \d\.\d{3}, d_z \S+, p [=<] [\d.]+(, Holm [^(]*)? \(one-sample t\), 3 members(; [^—]*)? — (holds|does not hold|inconclusive)/);
  // The report rebuilds the same table from the records alone.
  const before = readFileSync(join(dir, 'out', 'ensembles.csv'), 'utf8');
  const rep = spawnSync(process.execPath, [CLI, 'report', join(dir, 'out')], { encoding: 'utf8' });
  assert.equal(rep.status, 0, rep.stderr);
  assert.equal(readFileSync(join(dir, 'out', 'ensembles.csv'), 'utf8'), before);
});
