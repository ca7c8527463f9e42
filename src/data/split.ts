/** Deterministic stratified splits: the same (labels, fraction, seed) always give the same indices. */
import { Rng } from '../util/rng';

/**
 * Split indices 0..n-1 into train and test so that each class keeps (as nearly as rounding allows) the same
 * fraction in test. Indices come back sorted, so the split does not depend on iteration order downstream.
 */
export function stratifiedSplit(labels: Int32Array, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  });
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
