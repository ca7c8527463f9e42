/** The paper configs: each parses, says what it reproduces, and its claims name arms, datasets and noise of its plan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { datasetLabel } from '../src/core/cell';

const DIR = join(__dirname, '..', '..', 'configs', 'papers');

test('configs/papers: header comment (paper, claim, scaling, metric); claims refer to the plan', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
  for (const f of ['mixup-label-noise.yaml', 'gmix.yaml', 'amplify.yaml', 'neutreno-oversmoothing.yaml', 'ensembles-equivariance.yaml']) {
    assert.ok(files.includes(f), f);
  }
  for (const f of files) {
    const text = readFileSync(join(DIR, f), 'utf8');
    for (const key of ['# Paper:', '# Claim:', '# Scaled:', '# Metric:']) assert.ok(text.includes(key), `${f}: ${key}`);
    const exp = loadConfigFile(join(DIR, f));
    const plan = planRuns(exp);
    assert.ok(plan.runs.length > 0);
    const methods = new Set(exp.methods.map((m) => m.name));
    const datasets = new Set(exp.datasets.map(datasetLabel));
    const rates = new Set(exp.noise.map((n) => (n.label === 'none' ? 0 : n.rate)));
    for (const c of exp.report.claims) {
      assert.ok(methods.has(c.method), `${f}: claim arm ${c.method} is not a method of the config`);
      if (c.kind !== 'ensemble') assert.ok(methods.has(c.than), `${f}: claim arm ${c.than} is not a method of the config`);
      else assert.ok(exp.ensemble, `${f}: an ensemble claim needs an "ensemble:" key`);
      if (c.dataset) assert.ok(datasets.has(c.dataset), `${f}: claim dataset ${c.dataset} not in ${[...datasets].join(', ')}`);
      if (typeof c.noise === 'number') assert.ok(rates.has(c.noise), `${f}: claim noise ${c.noise} not in the noise axis`);
    }
  }
});
