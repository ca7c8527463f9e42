import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { canonicalJson, deriveSeed } from '../src/util/hash';

const BASE = `name: p
seeds: [1, 2]
datasets: [digits]
methods: [baseline, {mixup: {alpha: 0.5}}]
train: {epochs: 2}
`;

test('plan expands datasets × noise × methods × seeds in a fixed order', () => {
  const plan = planRuns(parseConfig(BASE, 'p.yaml'));
  assert.equal(plan.runs.length, 4);
  assert.deepEqual(plan.runs.map((r) => [r.method.name, r.seed]), [['baseline', 1], ['baseline', 2], ['mixup', 1], ['mixup', 2]]);
  assert.equal(new Set(plan.runs.map((r) => r.id)).size, 4);
  for (const r of plan.runs) assert.match(r.id, /^digits-(baseline|mixup)-none-s[12]-[0-9a-f]{10}$/);
});

test('run ids are stable across key order and change with any setting', () => {
  const a = planRuns(parseConfig(BASE, 'p.yaml'));
  const reordered = planRuns(parseConfig(`train: {epochs: 2}
methods: [baseline, {mixup: {alpha: 0.5}}]
datasets: [digits]
seeds: [1, 2]
name: p
`, 'q.yaml'));
  assert.deepEqual(reordered.runs.map((r) => r.id), a.runs.map((r) => r.id));
  const changedLr = planRuns(parseConfig(BASE.replace('train: {epochs: 2}', 'train: {epochs: 2, lr: 0.002}'), 'p.yaml'));
  for (let i = 0; i < a.runs.length; i++) assert.notEqual(changedLr.runs[i].id, a.runs[i].id);
  const changedAlpha = planRuns(parseConfig(BASE.replace('alpha: 0.5', 'alpha: 0.4'), 'p.yaml'));
  assert.equal(changedAlpha.runs[0].id, a.runs[0].id, 'baseline runs do not depend on mixup options');
  assert.notEqual(changedAlpha.runs[2].id, a.runs[2].id);
});

test('init seeds are shared across methods under one seed (paired runs); method seeds differ', () => {
  const plan = planRuns(parseConfig(BASE, 'p.yaml'));
  const [b1, b2, m1, m2] = plan.runs;
  assert.equal(b1.initSeed, m1.initSeed);
  assert.equal(b2.initSeed, m2.initSeed);
  assert.notEqual(b1.initSeed, b2.initSeed);
  assert.notEqual(b1.methodSeed, m1.methodSeed);
});

test('derived seeds are deterministic, in [1, 2^31-1], never 0', () => {
  assert.equal(deriveSeed('a', 1), deriveSeed('a', 1));
  assert.notEqual(deriveSeed('a', 1), deriveSeed('a', 2));
  assert.notEqual(deriveSeed('a', 12), deriveSeed('a1', 2), 'parts are delimited');
  for (let i = 0; i < 5000; i++) {
    const s = deriveSeed('x', i);
    assert.ok(Number.isInteger(s) && s >= 1 && s <= 2147483647, String(s));
  }
});

test('canonical JSON sorts keys recursively and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } }), '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}');
});
