/** `--set key=value`: applied to the YAML document, checked like the file, located at the flag, recorded but not hashed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load';
import { parseOverride } from '../src/config/overrides';
import { planRuns } from '../src/config/plan';
import { ConfigError, UsageError } from '../src/errors';

const CFG = `name: o
seeds: [1]
datasets: [digits]
methods:
  - label-smoothing
  - mixup: {alpha: 1}
  - {method: mixup, name: mixup-a8, alpha: 8}
  - amplify: {alpha: 0.2}
model: {depth: 2}
`;

const parse = (...set: string[]) => parseConfig(CFG, 'o.yaml', { overrides: set });

test('keys reach maps, list positions and method options whatever the entry\'s written form', () => {
  assert.equal(parse('train.lr=0.003').grid[0].train.lr, 0.003, 'a section the file does not have is created');
  assert.deepEqual(parse('datasets[0]={name: digits, limit: 100}').datasets, [{ name: 'digits', limit: 100 }]);
  assert.deepEqual(parse('methods[0].epsilon=0.2').methods[0], { name: 'label-smoothing', parts: [{ method: 'label-smoothing', options: { epsilon: 0.2 } }] });
  assert.deepEqual(parse('methods[1].alpha=3').methods[1].parts[0].options, { alpha: 3 });
  assert.deepEqual(parse('methods[mixup-a8].alpha=4').methods[2].parts[0].options, { alpha: 4 });
  const composed = parse('methods[3].neutreno.lambda=0.3').methods[3];
  assert.equal(composed.name, 'amplify+neutreno');
  assert.deepEqual(composed.parts.map((p) => p.options), [{ lambda: 'max-beta', alpha: 0.2 }, { lambda: 0.3 }]);
  assert.equal(parse('methods[1].name=mx').methods[1].name, 'mx');
  // An override may make an axis, and later flags win.
  const exp = parse('model.depth=[2, 4]', 'methods[1].alpha=[0.2, 1]', 'seeds=[1, 2]', 'seeds=[3]');
  assert.equal(exp.grid.length, 2);
  assert.equal(exp.methods.length, 5);
  assert.deepEqual(exp.seeds, [3]);
  assert.deepEqual(exp.overrides, ['model.depth=[2, 4]', 'methods[1].alpha=[0.2, 1]', 'seeds=[1, 2]', 'seeds=[3]']);
});

test('an override gives the same runs as the edited file, and is recorded in the spec without entering the id', () => {
  const edited = planRuns(parseConfig(CFG.replace('model: {depth: 2}', 'model: {depth: 2}\ntrain: {lr: 0.003}'), 'o.yaml'));
  const set = planRuns(parse('train.lr=0.003'));
  assert.deepEqual(set.runs.map((r) => r.id), edited.runs.map((r) => r.id));
  assert.deepEqual(set.runs.map(({ overrides, ...spec }) => spec), edited.runs);
  for (const r of set.runs) assert.deepEqual(r.overrides, ['train.lr=0.003']);
  for (const r of edited.runs) assert.ok(!('overrides' in r));
  assert.notDeepEqual(planRuns(parse()).runs.map((r) => r.id), set.runs.map((r) => r.id), 'a changed setting is a different run');
});

test('problems in an overridden value name the flag; malformed flags are usage errors', () => {
  let issues: string[] = [];
  try {
    parse('train.lr=fast', 'methods[1].alpha=[1, -1]', 'model.dpth=3');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    issues = err.issues.map((i) => `${i.file}: ${i.message}`);
  }
  assert.deepEqual(issues.sort(), [
    '--set methods[1].alpha=[1, -1]: methods[1].mixup.alpha[1]: mixup: alpha must be >= 0 (0 disables mixing)',
    '--set model.dpth=3: model.dpth: unknown key "dpth"; remove or correct it (keys are listed in the README\'s config reference)',
    '--set train.lr=fast: train.lr: expected a number, got the text "fast"',
  ]);
  const usage = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof UsageError && re.test(e.message));
  usage(() => parseOverride('train.lr'), /--set train\.lr: expected key=value/);
  usage(() => parseOverride('train..lr=1'), /cannot read the key/);
  usage(() => parseOverride('methods[1.alpha=1'), /"\[" without "\]"/);
  usage(() => parseOverride('x=[1,'), /the value is not valid YAML/);
  usage(() => parse('methods[9].alpha=1'), /--set methods\[9\]\.alpha=1: methods has 4 entries \(methods\[0\] to methods\[3\]\)/);
  usage(() => parse('methods[nosuch].alpha=1'), /no method entry is named "nosuch"; entries: \[0\] label-smoothing, \[1\] mixup, \[2\] mixup-a8, \[3\] amplify/);
  usage(() => parse('datasets.limit=1'), /datasets is a list: give a position, datasets\[0\]/);
  usage(() => parse('name.x=1'), /name is a single value, not a map/);
});
