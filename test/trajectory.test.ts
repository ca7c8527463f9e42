/**
 * The trajectory comparison (`npm run trajectory`, docs/golden.md "Trajectories"): mixbench trains a tiny NeuTRENO
 * network for 8 steps and exports them; the PyTorch twin replays them and the two must stay together. The same
 * export with NeuTRENO's λ negated for the twin only (what a sign error in one implementation does) must be flagged.
 * Needs a Python with PyTorch (CI installs python3-torch); skipped, saying so, without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './golden/format';
import { findTorchPython, INSTALL_TORCH, torchEnv } from './golden/python';

const python = findTorchPython();
const SCRIPT = join(REPO_ROOT, 'dist', 'test', 'golden', 'trajectory.js');

const CONFIG = `name: tiny-neutreno
seeds: 1
datasets: [{name: digits, trainSize: 128}]
methods:
  - {method: neutreno, name: neutreno-0.6, lambda: 0.6}
model: {type: transformer, dim: 16, depth: 3, heads: 2, mlpDim: 32, patch: 2, pool: mean}
train: {epochs: 2, batchSize: 32, optimizer: adamw, lr: 0.003, weightDecay: 0.05}
output: results/tiny-neutreno
`;

interface Comparison {
  lossMaxRel: number;
  weightRelDistance: number[];
  accuracyAbsDiff: number[];
  cosinesMaxAbs: number;
}

function replay(exportPath: string, summary: string): Comparison {
  const r = spawnSync(python!, [join(REPO_ROOT, 'reference', 'trajectory.py'), exportPath, '--out', summary, '--dtypes', 'float64'], {
    encoding: 'utf8', env: torchEnv(),
  });
  assert.equal(r.status, 0, `reference/trajectory.py failed:\n${r.stderr}${r.stdout}`);
  const s = JSON.parse(readFileSync(summary, 'utf8')) as { steps: number; comparisons: Record<string, Comparison> };
  assert.equal(s.steps, 8);
  return s.comparisons['mixbench vs twin float64'];
}

test('trajectory: mixbench and the twin train a NeuTRENO network together; a sign error in one is flagged', { skip: python ? false : `no Python with PyTorch (${INSTALL_TORCH})` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixbench-trajectory-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    writeFileSync(cfg, CONFIG);
    const r = spawnSync(process.execPath, [SCRIPT, cfg, '--export-only', '--test-size', '100', '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `trajectory export failed:\n${r.stderr}${r.stdout}`);
    const exportPath = join(dir, 'neutreno-0.6.export.json');

    const same = replay(exportPath, join(dir, 'same.json'));
    // float32 against float64 over 8 steps: ~1e-7 in the loss (docs/golden.md); Adam turns round-off in gradients that
    // are 0 in exact arithmetic (the attention key bias) into full-size steps, hence the looser weight bound.
    assert.ok(same.lossMaxRel < 1e-5, `loss drift ${same.lossMaxRel}`);
    assert.ok(Math.max(...same.weightRelDistance) < 5e-3, `weight drift ${same.weightRelDistance}`);
    assert.ok(same.cosinesMaxAbs < 1e-5, `cosine drift ${same.cosinesMaxAbs}`);
    assert.deepEqual(same.accuracyAbsDiff, [0, 0]);

    // The twin with NeuTRENO's term of the opposite sign, λ(v − v⁰): the drift must be far above round-off.
    const ex = JSON.parse(readFileSync(exportPath, 'utf8')) as { method: { method: string; options: { lambda: number } }[] };
    ex.method[0].options.lambda = -ex.method[0].options.lambda;
    const flipped = join(dir, 'flipped.export.json');
    writeFileSync(flipped, JSON.stringify(ex));
    const broken = replay(flipped, join(dir, 'flipped.json'));
    assert.ok(broken.lossMaxRel > 1e-2, `a sign error in NeuTRENO moved the loss by only ${broken.lossMaxRel}`);
    assert.ok(broken.cosinesMaxAbs > 1e-2, `a sign error in NeuTRENO moved the cosines by only ${broken.cosinesMaxAbs}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trajectory: an unknown method is a usage error naming the config and its methods', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixbench-trajectory-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    writeFileSync(cfg, CONFIG);
    const r = spawnSync(process.execPath, [SCRIPT, cfg, '--method', 'mixup', '--export-only', '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /tiny\.yaml: no method "mixup"; its methods are neutreno-0\.6/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
