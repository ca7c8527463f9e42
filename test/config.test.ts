import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load';
import { ConfigError } from '../src/errors';

const QUICK = `name: quick
seeds: [1, 2, 3]
datasets: [digits]
methods:
  - baseline
  - mixup: {alpha: 1.0}
  - {method: mixup, name: mixup-a8, alpha: 8}
model: {type: transformer, dim: 64, depth: 2, heads: 4, mlpDim: 128, patch: 2}
train: {epochs: 15, batchSize: 64, optimizer: adamw, lr: 0.001, weightDecay: 0.05}
output: results/quick
`;

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

test('the issue example parses into a fully resolved experiment', () => {
  const exp = parseConfig(QUICK, 'quick.yaml');
  assert.deepEqual(exp.seeds, [1, 2, 3]);
  assert.deepEqual(exp.methods.map((m) => m.name), ['baseline', 'mixup', 'mixup-a8']);
  assert.deepEqual(exp.methods[1].parts, [{ method: 'mixup', options: { alpha: 1 } }]);
  assert.deepEqual(exp.methods[2].parts, [{ method: 'mixup', options: { alpha: 8 } }]);
  assert.equal(exp.grid.length, 1);
  assert.equal(exp.grid[0].model.type, 'transformer');
  assert.equal(exp.grid[0].train.optimizer, 'adamw');
  assert.equal(exp.grid[0].train.schedule, 'cosine');
  assert.equal(exp.backend, 'auto');
  assert.equal(exp.output, 'results/quick');
});

test('every problem is reported at once with file:line:col', () => {
  const text = `name: bad
seeds: [1]
datasets: [digits, nosuch]
methods:
  - baseline
  - mixup: {alpha: -1}
  - {method: mixup, beta: 2}
  - frobnicate
model: {type: transformer, dimm: 64}
train: {epochs: 0}
`;
  const issues = issuesOf(text);
  const joined = issues.join('\n');
  assert.match(joined, /c\.yaml:9:\d+: model\.dimm: unknown key "dimm"/);
  assert.match(joined, /c\.yaml:10:\d+: train\.epochs: /);
  assert.match(joined, /c\.yaml:6:\d+: .*alpha must be >= 0/);
  assert.match(joined, /c\.yaml:7:\d+: .*unknown option "beta" for mixup/);
  assert.match(joined, /c\.yaml:8:\d+: .*unknown method "frobnicate"/);
  assert.ok(issues.length >= 5, joined);
});

test('unknown top-level keys, YAML syntax errors and missing keys are located', () => {
  assert.match(issuesOf('name: x\ndatasets: [digits]\nmethods: [baseline]\nepochs: 3\n').join('\n'), /c\.yaml:4:1: epochs: unknown key "epochs"/);
  assert.match(issuesOf('name: x\ndatasets: [digits\n').join('\n'), /c\.yaml:\d+:\d+: YAML:/);
  assert.match(issuesOf('name: x\ndatasets: [digits]\n').join('\n'), /missing required key "methods"/);
  assert.match(issuesOf('name: x\nname: y\ndatasets: [digits]\nmethods: [baseline]\n').join('\n'), /c\.yaml:2:\d+: YAML: .*[Uu]nique|[Dd]uplicate/);
});

test('rules across fields: unknown dataset, patch size, heads, duplicate names', () => {
  const joined = issuesOf(`name: x
datasets: [digits]
methods: [mixup, mixup]
model: {patch: 3, dim: 30, heads: 4}
`).join('\n');
  assert.match(joined, /patch 3 does not divide the 8×8 images of digits/);
  assert.match(joined, /heads \(4\) must divide dim \(30\)/);
  assert.match(joined, /method name "mixup" is already used by methods\[0\]/);
});

test('seeds may be a count', () => {
  const exp = parseConfig('name: x\nseeds: 4\ndatasets: [digits]\nmethods: [baseline]\n', 'c.yaml');
  assert.deepEqual(exp.seeds, [1, 2, 3, 4]);
});

test('a value of the wrong type is named as such, not as a missing key', () => {
  const joined = issuesOf('name: x\ndatasets: [digits]\nmethods: [baseline]\ntrain: {lr: fast, epochs: 1.5, nesterov: 3}\nseeds: many\n').join('\n');
  assert.match(joined, /c\.yaml:4:\d+: train\.lr: expected a number, got the text "fast"/);
  assert.match(joined, /c\.yaml:4:\d+: train\.epochs: expected an integer, got the number 1\.5/);
  assert.match(joined, /train\.nesterov: expected true or false, got the integer 3/);
  assert.match(joined, /c\.yaml:5:\d+: seeds: expected a list or a number, got the text "many"/);
  assert.doesNotMatch(joined, /missing required key/);
  // A key that is really absent is still reported as missing.
  assert.match(issuesOf('name: x\ndatasets: [digits]\nmethods: [baseline]\nensemble: {augment: {group: c4}}\n').join('\n'), /ensemble\.members: missing required key "members"/);
});

test('schema errors and problems across fields are reported together, in one pass', () => {
  const issues = issuesOf(`name: x
datasets: [digits, nosuch]
methods: [baseline, {mixup: {alpha: -1}}]
model: {dim: 30, heads: 4}
train: {lr: fast}
`);
  const joined = issues.join('\n');
  assert.match(joined, /c\.yaml:5:\d+: train\.lr: expected a number/);
  assert.match(joined, /c\.yaml:2:\d+: datasets\[1\]: unknown dataset "nosuch"/);
  assert.match(joined, /c\.yaml:4:\d+: model\.heads: heads \(4\) must divide dim \(30\)/);
  assert.match(joined, /c\.yaml:3:\d+: .*alpha must be >= 0/);
  assert.equal(issues.length, 4, joined);
  // A part with a schema error is not checked across fields again (no second, derived message).
  const model = issuesOf('name: x\ndatasets: [digits]\nmethods: [baseline]\nmodel: {dim: x, heads: 4}\n');
  assert.equal(model.length, 1, model.join('\n'));
});
