/** Sweep axes in configs: expansion, stable ids, paired seeds, the explicit form, zips, name templates, the size limit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armLabel, axesOf } from '../src/core/axes';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { ConfigError } from '../src/errors';
import { readFileSync } from 'node:fs';

const BASE = `name: ax
seeds: [1, 2]
datasets: [digits]
methods:
  - baseline
  - {method: neutreno, lambda: LAMBDA}
model: {dim: 32, depth: DEPTH}
train: {epochs: 2}
`;

const config = (depth: string, lambda: string) => BASE.replace('DEPTH', depth).replace('LAMBDA', lambda);
const plan = (text: string, options = {}) => planRuns(parseConfig(text, 'ax.yaml', options));

function issuesOf(text: string, options = {}): string[] {
  try {
    parseConfig(text, 'c.yaml', options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => (i.line === undefined ? `${i.file}: ${i.message}` : `${i.file}:${i.line}:${i.col}: ${i.message}`));
  }
  assert.fail('expected a ConfigError');
}

test('a list where one value is expected is an axis: the plan is the product, arms share the entry name', () => {
  const exp = parseConfig(config('[2, 4, 8]', '[0.2, 0.6]'), 'ax.yaml');
  assert.equal(exp.grid.length, 3);
  assert.deepEqual(exp.grid.map((g) => g.model.type === 'transformer' && g.model.depth), [2, 4, 8]);
  assert.deepEqual(exp.methods.map((m) => m.name), ['baseline', 'neutreno', 'neutreno']);
  assert.deepEqual(exp.methods.map((m) => m.parts[0].options), [{}, { lambda: 0.2 }, { lambda: 0.6 }]);
  assert.deepEqual(exp.axes.map((a) => [a.key, a.values, a.method]), [['model.depth', [2, 4, 8], undefined], ['neutreno.lambda', [0.2, 0.6], 'neutreno']]);
  const p = planRuns(exp);
  assert.equal(p.runs.length, 3 * 3 * 2);
  assert.equal(new Set(p.runs.map((r) => r.id)).size, p.runs.length);
  const axes = axesOf(p.runs, exp.report.axes);
  assert.deepEqual(axes.settings, ['model.depth']);
  assert.deepEqual([...new Set(p.runs.map((r) => armLabel(r, axes)))], ['baseline', 'neutreno[lambda=0.2]', 'neutreno[lambda=0.6]']);
  // Every default follows the swept value (mlpDim = 2·dim), and the other settings are the same at every point.
  const dims = parseConfig(BASE.replace('dim: 32, depth: DEPTH', 'dim: [16, 32]').replace('LAMBDA', '0.6'), 'd.yaml').grid;
  assert.deepEqual(dims.map((g) => g.model.type === 'transformer' && [g.model.dim, g.model.mlpDim]), [[16, 32], [32, 64]]);
});

test('run ids depend only on resolved settings: a one-element list and a grown axis keep the old ids', () => {
  const scalar = plan(config('4', '0.6'));
  const single = plan(config('[4]', '[0.6]'));
  const explicit = plan(config('{sweep: [4]}', '{sweep: [0.6]}'));
  assert.deepEqual(single.runs.map((r) => r.id), scalar.runs.map((r) => r.id));
  assert.deepEqual(explicit.runs.map((r) => r.id), scalar.runs.map((r) => r.id));
  assert.deepEqual(single.runs, scalar.runs, 'the same specs, not only the same ids');
  const grown = plan(config('[2, 4, 8]', '[0.2, 0.6]'));
  const ids = new Set(grown.runs.map((r) => r.id));
  for (const r of scalar.runs) assert.ok(ids.has(r.id), `${r.id} (depth 4, lambda 0.6) is still in the grown plan`);
  const depth4 = plan(config('[2, 4]', '0.6'));
  for (const r of scalar.runs) assert.ok(depth4.runs.some((q) => q.id === r.id));
  // A different value is a different run.
  assert.notEqual(plan(config('4', '0.5')).runs[2].id, scalar.runs[2].id);
});

test('seeds are paired: every arm of a cell of the other axes shares init seeds; method seeds follow the options', () => {
  const p = plan(config('[2, 4, 8]', '[0.2, 0.6]'));
  for (const seed of [1, 2]) {
    const runs = p.runs.filter((r) => r.seed === seed);
    assert.equal(new Set(runs.map((r) => r.initSeed)).size, 1, 'same weights draw and batch order for every arm and depth under one seed');
  }
  assert.notEqual(p.runs.find((r) => r.seed === 1)!.initSeed, p.runs.find((r) => r.seed === 2)!.initSeed);
  const lam = p.runs.filter((r) => r.seed === 1 && r.method.name === 'neutreno' && r.model.type === 'transformer' && r.model.depth === 2);
  assert.equal(lam.length, 2);
  assert.notEqual(lam[0].methodSeed, lam[1].methodSeed);
});

test('train axes, zip groups, and the order of the plan', () => {
  const text = `name: z
seeds: 1
datasets: [digits]
methods: [baseline]
model: {dim: [16, 32], mlpDim: [32, 64], depth: [1, 2]}
train: {lr: [0.001, 0.003], epochs: 2}
zip: [[model.dim, model.mlpDim]]
`;
  const exp = parseConfig(text, 'z.yaml');
  assert.equal(exp.grid.length, 2 * 2 * 2);
  const pts = exp.grid.map((g) => g.model.type === 'transformer' && [g.model.dim, g.model.mlpDim, g.model.depth, g.train.lr]);
  assert.deepEqual(pts.slice(0, 4), [[16, 32, 1, 0.001], [16, 32, 1, 0.003], [16, 32, 2, 0.001], [16, 32, 2, 0.003]]);
  assert.ok(pts.every((p) => p && p[1] === 2 * p[0]), 'zipped values move together');
  assert.deepEqual(exp.axes.find((a) => a.key === 'model.dim')!.zip, ['model.mlpDim']);
  const bad = issuesOf(text.replace('mlpDim: [32, 64]', 'mlpDim: [32, 64, 128]')).join('\n');
  assert.match(bad, /c\.yaml:7:\d+: zip\[0\]: the axes of a zip group take their values together, so they need as many values each \(model\.dim: 2, model\.mlpDim: 3\)/);
  assert.match(issuesOf(text.replace('[[model.dim, model.mlpDim]]', '[[model.dim, model.heads]]')).join('\n'), /zip\[0\]\[1\]: model\.heads is not a model or train axis/);
});

test('keys that take a list are swept only with {sweep: [...]}; a list of lists there is refused with the fix', () => {
  const mlp = `name: m
seeds: 1
datasets: [digits]
methods: [baseline, {method: manifold-mixup, layers: LAYERS}]
model: {type: mlp, hidden: HIDDEN}
`;
  const ok = parseConfig(mlp.replace('LAYERS', '[embed, 0]').replace('HIDDEN', '{sweep: [[64], [32, 32]]}'), 'm.yaml');
  assert.deepEqual(ok.grid.map((g) => g.model.type === 'mlp' && g.model.hidden), [[64], [32, 32]]);
  assert.deepEqual(ok.methods[1].parts[0].options.layers, ['embed', 0]);
  const swept = parseConfig(mlp.replace('LAYERS', '{sweep: [[embed], [0]]}').replace('HIDDEN', '[64]'), 'm.yaml');
  assert.deepEqual(swept.methods.map((m) => m.parts[0].options.layers), [undefined, ['embed'], [0]]);
  const joined = issuesOf(mlp.replace('LAYERS', '[[embed], [0]]').replace('HIDDEN', '[[64], [32, 32]]')).join('\n');
  assert.match(joined, /c\.yaml:5:\d+: model\.hidden: model\.hidden takes a list, so a list of lists is ambiguous: to sweep it, write model\.hidden: \{sweep: \[\[64\],\[32,32\]\]\}/);
  assert.match(joined, /c\.yaml:4:\d+: methods\[1\]\.layers: layers takes a list, so a list of lists is ambiguous: to sweep it, write layers: \{sweep: /);
});

test('every value of an axis is checked like a single value and located at its element', () => {
  const joined = issuesOf(`name: bad
seeds: 1
datasets: [digits]
methods:
  - baseline
  - {method: mixup, alpha: [0.2, -1, 0.2]}
  - {method: neutreno, lambda: []}
model: {depth: [2, x], patch: [2, 3]}
train: {lr: {sweep: 0.1}, epochs: {sweep: [1], extra: 2}}
`).join('\n');
  assert.match(joined, /c\.yaml:6:\d+: methods\[1\]\.alpha\[1\]: mixup: alpha must be >= 0/);
  assert.match(joined, /c\.yaml:6:\d+: methods\[1\]\.alpha\[2\]: alpha lists 0\.2 twice/);
  assert.match(joined, /c\.yaml:7:\d+: methods\[2\]\.lambda: an empty list sweeps nothing/);
  assert.match(joined, /c\.yaml:8:\d+: model\.depth\[1\]: expected a number, got the text "x"/);
  assert.match(joined, /c\.yaml:9:\d+: train\.lr\.sweep: sweep takes a non-empty list of values/);
  assert.match(joined, /c\.yaml:9:\d+: train\.epochs: \{sweep: \[\.\.\.\]\} takes no other keys \(found extra\)/);
  // Checks across fields run per point and name the value: patch 3 does not divide 8.
  const patch = issuesOf('name: p\ndatasets: [digits]\nmethods: [baseline]\nmodel: {patch: [2, 3]}\n').join('\n');
  assert.match(patch, /c\.yaml:4:\d+: model\.patch\[1\]: patch 3 does not divide the 8×8 images of digits/);
  const layers = issuesOf('name: l\ndatasets: [digits]\nmethods: [{manifold-mixup: {layers: [3]}}]\nmodel: {depth: [2, 4]}\n').join('\n');
  assert.match(layers, /with model\.depth = 2: manifold-mixup: layers 3 do not exist/);
  assert.doesNotMatch(layers, /model\.depth = 4/);
});

test('name templates name each arm, so existing entries can become an axis without changing ids', () => {
  const three = `name: t
seeds: 2
datasets: [digits]
methods:
  - baseline
  - {method: mixup, name: mixup-a1, alpha: 1}
  - {method: mixup, name: mixup-a8, alpha: 8}
`;
  const axis = `name: t
seeds: 2
datasets: [digits]
methods:
  - baseline
  - {method: mixup, name: "mixup-a{alpha}", alpha: [1, 8, 32]}
`;
  const before = plan(three);
  const after = plan(axis);
  assert.deepEqual(after.runs.slice(0, before.runs.length).map((r) => r.id), before.runs.map((r) => r.id));
  assert.deepEqual([...new Set(after.runs.map((r) => r.method.name))], ['baseline', 'mixup-a1', 'mixup-a8', 'mixup-a32']);
  const exp = parseConfig(axis, 't.yaml');
  assert.deepEqual(exp.report.axes, [{ key: 'mixup.alpha', values: [1, 8, 32] }], 'a templated axis names no shared entry');
  // Without placeholders the arms share the name (and are labelled by their options); a template must tell them apart.
  assert.deepEqual([...new Set(plan(axis.replace('mixup-a{alpha}', 'mixup-x')).runs.map((r) => r.method.name))], ['baseline', 'mixup-x']);
  assert.match(issuesOf(axis.replace('{method: mixup, name: "mixup-a{alpha}", alpha: [1, 8, 32]}', '{method: gmix, name: "g-{rho}", alpha: [1, 2]}')).join('\n'),
    /methods\[1\]\.name: the name template gives several arms the name "g-0\.05"/);
  assert.match(issuesOf(axis.replace('mixup-a{alpha}', 'mixup-{beta}')).join('\n'), /\{beta\} is not an option of this entry; options: alpha/);
});

test('plans larger than the limit are refused before they are expanded, naming the flag', () => {
  const big = `name: big
seeds: 100
datasets: [digits]
methods: [baseline, {method: mixup, alpha: [0.1, 0.2, 0.5, 1, 2, 4, 8, 16, 32, 64]}]
model: {depth: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
`;
  const joined = issuesOf(big).join('\n');
  assert.match(joined, /this plan has 11,000 runs \(1 dataset × 1 noise setting × 10 model\/training settings × 11 method arms × 100 seeds\), more than the limit of 10,000; shrink an axis, or raise the limit with --max-runs 11000/);
  assert.equal(planRuns(parseConfig(big, 'big.yaml', { maxRuns: 11000 })).runs.length, 11000);
  // A product far beyond memory is refused at once (nothing is expanded).
  const huge = big.replace('seeds: 100', 'seeds: 2000000000');
  const t0 = Date.now();
  assert.match(issuesOf(huge).join('\n'), /this plan has 220,000,000,000 runs/);
  assert.ok(Date.now() - t0 < 2000);
});

test('claims and axis plots are checked against the plan', () => {
  const text = `${config('[2, 8]', '[0.2, 0.6]')}report: {plots: [{x: model.depth, y: oversmoothing}]}
claims:
  - {better: neutreno, than: baseline, metric: oversmoothing, where: {model.depth: 8}}
  - {better: "neutreno[lambda=0.6]", than: baseline, metric: last}
`;
  const exp = parseConfig(text, 'c.yaml');
  assert.deepEqual(exp.report.plots, [{ x: 'model.depth', y: 'oversmoothing' }]);
  assert.deepEqual(exp.report.claims[0].where, { 'model.depth': 8 });
  const joined = issuesOf(`${config('[2, 8]', '[0.2, 0.6]')}report: {plots: [{x: train.lr, y: last}]}
claims:
  - {better: baseline, than: neutreno}
  - {better: neutreno, than: baseline, where: {model.depth: 16, model.dpth: 2}}
  - {better: mixup, than: baseline}
`).join('\n');
  assert.match(joined, /report\.plots\[0\]\.x: train\.lr is not a swept numeric setting of this config; swept numeric settings: model\.depth, neutreno\.lambda/);
  assert.match(joined, /claims\[0\]\.than: "neutreno" stands for 2 arms \(neutreno\[lambda=0\.2\], neutreno\[lambda=0\.6\]\)/);
  assert.match(joined, /claims\[1\]\.where\.model\.depth: model\.depth is never 16 in this plan \(its values: 2, 8\)/);
  assert.match(joined, /claims\[1\]\.where\.model\.dpth: "model\.dpth" is not a setting/);
  assert.match(joined, /claims\[2\]\.better: "mixup" is not an arm of this config; arms: baseline, neutreno\[lambda=0\.2\], neutreno\[lambda=0\.6\]/);
  // Pinning the partner's option with where makes it one arm.
  parseConfig(`${config('[2, 8]', '[0.2, 0.6]')}claims:\n  - {better: baseline, than: neutreno, where: {neutreno.lambda: 0.6}}\n`, 'ok.yaml');
});

test('axes are found from runs alone: settings that differ within an experiment, options that differ within a method name', () => {
  const p = plan(config('[2, 4]', '[0.2, 0.6]'));
  const found = axesOf(p.runs);
  assert.deepEqual(found.settings, ['model.depth']);
  assert.deepEqual(found.columns, ['model.depth', 'neutreno.lambda']);
  // Separate entries with their own names are not an axis (quick.yaml's mixup and mixup-a8).
  const named = plan('name: q\nseeds: 1\ndatasets: [digits]\nmethods: [baseline, {mixup: {alpha: 1}}, {method: mixup, name: mixup-a8, alpha: 8}]\n');
  assert.deepEqual(axesOf(named.runs), { settings: [], labels: new Map(), columns: [] });
  // Two experiments that each hold one depth: no axis (each experiment's settings are constant).
  const d2 = plan(config('2', '0.6').replace('name: ax', 'name: d2'));
  const d8 = plan(config('8', '0.6').replace('name: ax', 'name: d8'));
  assert.deepEqual(axesOf([...d2.runs, ...d8.runs]).columns, []);
});

test('the paper configs\' axes: mixup\'s α axis keeps the ids of its three former entries; NeuTRENO is one depth × λ sweep', () => {
  const file = 'configs/papers/mixup-label-noise.yaml';
  const text = readFileSync(file, 'utf8');
  const entries = text.replace('  - {method: mixup, name: "mixup-a{alpha}", alpha: [1, 8, 32]}\n',
    '  - {method: mixup, name: mixup-a1, alpha: 1}\n  - {method: mixup, name: mixup-a8, alpha: 8}\n  - {method: mixup, name: mixup-a32, alpha: 32}\n');
  assert.notEqual(entries, text, 'the config has the α axis');
  const ids = (t: string) => planRuns(parseConfig(t, file)).runs.map((r) => r.id).sort();
  assert.deepEqual(ids(text), ids(entries));
  assert.equal(ids(text).length, 100);
  const neutreno = parseConfig(readFileSync('configs/papers/neutreno-oversmoothing.yaml', 'utf8'), 'neutreno-oversmoothing.yaml');
  assert.deepEqual(neutreno.axes.map((a) => [a.key, a.values]), [['model.depth', [2, 4, 8]], ['neutreno.lambda', [0.2, 0.4, 0.6]]]);
  assert.equal(planRuns(neutreno).runs.length, 36);
});
