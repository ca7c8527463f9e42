/** Deterministic stratified splits: the same (labels, fraction, seed) always give the same indices. */
import { Rng } from '../util/rng';

function byClassLists(labels: ArrayLike<number>): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  }
  return byClass;
}

/**
 * Split indices 0..n-1 into train and test so that each class keeps (as nearly as rounding allows) the same
 * fraction in test. Indices come back sorted, so the split does not depend on iteration order downstream.
 */
export function stratifiedSplit(labels: Int32Array, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const byClass = byClassLists(labels);
  const rng = new Rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(cls)!;
    rng.shuffleInPlace(idx);
    const nTest = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}

/**
 * Exactly `k` of the indices 0..n-1, stratified by class: class c gets k·n_c/n rounded by largest remainder (ties to
 * the smaller class id), its members drawn uniformly by `seed`. Sorted.
 */
export function stratifiedSubset(labels: Int32Array, k: number, seed: number): Int32Array {
  const n = labels.length;
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const byClass = byClassLists(labels);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (k * byClass.get(c)!.length) / n);
  const quota = exact.map(Math.floor);
  let left = k - quota.reduce((a, b) => a + b, 0);
  const order = classes.map((_, i) => i).sort((a, b) => exact[b] - quota[b] - (exact[a] - quota[a]) || a - b);
  for (const i of order) {
    if (left === 0) break;
    quota[i]++;
    left--;
  }
  const rng = new Rng(seed);
  const out: number[] = [];
  classes.forEach((c, i) => {
    const idx = byClass.get(c)!;
    rng.shuffleInPlace(idx);
    out.push(...idx.slice(0, quota[i]));
  });
  return Int32Array.from(out.sort((a, b) => a - b));
}
