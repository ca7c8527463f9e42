import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupMaps, pixelMap, transformImage } from '../src/data/groups';
import { ensembleLogits, ensembleVersusSize, equivarianceMetrics } from '../src/report/equivariance';

test('C4 maps are rotations: four quarter turns are the identity, and one turn moves corners correctly', () => {
  const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 3×3, one channel
  const out = new Float32Array(9);
  transformImage(img, 0, out, 0, pixelMap('c4', 1, 3, 3), 1);
  // Counter-clockwise quarter turn of [[1,2,3],[4,5,6],[7,8,9]] is [[3,6,9],[2,5,8],[1,4,7]].
  assert.deepEqual(Array.from(out), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  let cur = img;
  for (let k = 0; k < 4; k++) {
    const next = new Float32Array(9);
    transformImage(cur, 0, next, 0, pixelMap('c4', 1, 3, 3), 1);
    cur = next;
  }
  assert.deepEqual(Array.from(cur), Array.from(img));
  // Element 2 equals two quarter turns; maps are permutations.
  const twice = new Float32Array(9);
  transformImage(img, 0, twice, 0, pixelMap('c4', 2, 3, 3), 1);
  assert.deepEqual(Array.from(twice), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  for (const m of groupMaps('c4', 4, 4)) assert.deepEqual([...m].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i));
  const flipped = new Float32Array(9);
  transformImage(img, 0, flipped, 0, pixelMap('flip', 1, 3, 3), 1);
  assert.deepEqual(Array.from(flipped), [3, 2, 1, 6, 5, 4, 9, 8, 7]);
});

test('an invariant model has OSP = |G| and zero divergence; a model that changes its mind does not', () => {
  const labels = Int32Array.from([0, 1]);
  const row = Float32Array.from([2, 0, 0, 1]); // n = 2, K = 2: predicts 0, 1
  const invariant = [row, row, row, row];
  const m = equivarianceMetrics(invariant, labels, 2);
  assert.equal(m.accuracy, 1);
  assert.equal(m.osp, 4);
  assert.ok(Math.abs(m.divergence) < 1e-12);
  const flipsOnce = [row, Float32Array.from([0, 2, 1, 0]), row, row];
  const f = equivarianceMetrics(flipsOnce, labels, 2);
  assert.equal(f.osp, 3);
  const p = 1 / (1 + Math.exp(-2));
  const skl = 2 * (p - (1 - p)) * (Math.log(p) - Math.log(1 - p));
  const q = 1 / (1 + Math.exp(-1));
  const skl2 = 2 * (q - (1 - q)) * (Math.log(q) - Math.log(1 - q));
  assert.ok(Math.abs(f.divergence - (skl + skl2) / (2 * 4)) < 1e-9);
});

test('ensembles average logits; two mirror-image members form an invariant ensemble', () => {
  const labels = Int32Array.from([0]);
  // Member A prefers class 0 on element 0 and class 1 on element 1; member B the opposite scores on each element.
  const a = [Float32Array.from([1, 0]), Float32Array.from([0, 1])];
  const b = [Float32Array.from([0, 1]), Float32Array.from([1, 0])];
  const e = ensembleLogits([a, b]);
  assert.deepEqual(Array.from(e[0]), [0.5, 0.5]);
  assert.deepEqual(Array.from(e[1]), [0.5, 0.5]);
  assert.ok(equivarianceMetrics(e, labels, 2).divergence < 1e-12);
  assert.ok(equivarianceMetrics(a, labels, 2).divergence > 0.1);
  const rows = ensembleVersusSize([a, b], labels, 2, 10, 3);
  assert.deepEqual(rows.map((r) => r.size), [1, 2]);
  assert.ok(rows[1].ensemble.divergence < rows[0].ensemble.divergence);
  assert.ok(Math.abs(rows[0].member.divergence - rows[0].ensemble.divergence) < 1e-12, 'a size-1 ensemble is its member');
});
