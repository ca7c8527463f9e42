import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng';

test('the same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 10 }, () => a.uniform());
  assert.deepEqual(Array.from({ length: 10 }, () => b.uniform()), sa);
  assert.notDeepEqual(Array.from({ length: 10 }, () => c.uniform()), sa);
});

test('uniform, normal and beta have the right moments', () => {
  const r = new Rng(7);
  const n = 200000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  for (let i = 0; i < n; i++) {
    su += r.uniform();
    const z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.005);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(sn2 / n - 1) < 0.02);
  for (const [a, b] of [[1, 1], [2, 2], [0.2, 0.2], [8, 8], [2, 5]]) {
    let s = 0;
    let s2 = 0;
    const m = 40000;
    for (let i = 0; i < m; i++) {
      const x = r.beta(a, b);
      assert.ok(x >= 0 && x <= 1);
      s += x;
      s2 += x * x;
    }
    const mean = a / (a + b);
    const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    assert.ok(Math.abs(s / m - mean) < 0.01, `Beta(${a},${b}) mean ${s / m}`);
    assert.ok(Math.abs(s2 / m - (s / m) ** 2 - variance) < 0.01, `Beta(${a},${b}) variance`);
  }
});

test('permutations are permutations and seeds for tfjs are never 0', () => {
  const r = new Rng(3);
  const p = r.permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  for (let i = 0; i < 10000; i++) assert.ok(r.seed() > 0);
});
