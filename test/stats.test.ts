import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  confidenceInterval, mean, median, midranks, pairedTTest, rankValues, regularizedIncompleteBeta, standardError, std,
  studentTCdf, studentTQuantile, variance, wilcoxonSignedRank,
} from '../src/report/stats';

const close = (a: number | undefined, b: number, tol: number, what = '') => {
  assert.ok(a !== undefined && Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
};

test('mean/std/se: n−1 denominator, undefined for n < 2, missing values skipped', () => {
  const x = [0.91, 0.93, 0.9, 0.95, 0.92];
  close(mean(x), 0.922, 1e-15);
  close(std(x), 0.019235384061671353, 1e-15, 'std'); // numpy std(ddof=1)
  close(standardError(x), 0.008602325267042633, 1e-15, 'se');
  close(variance([1, 2, 3, 4]), 5 / 3, 1e-15);
  assert.equal(std([0.5]), undefined);
  assert.equal(standardError([0.5]), undefined);
  assert.equal(mean([]), undefined);
  assert.equal(mean([null, undefined, NaN, 2, 4]), 3);
  assert.equal(std([null, 1, NaN, 3]), Math.SQRT2);
  assert.equal(median([3, 1, 2, 10]), 2.5);
  assert.equal(median([3, 1, 2]), 2);
});

test('regularised incomplete beta matches scipy.special.betainc', () => {
  close(regularizedIncompleteBeta(0.4, 2.5, 3.5), 0.4869041915261176, 1e-13, 'I(0.4; 2.5, 3.5)');
  close(regularizedIncompleteBeta(0.1, 0.5, 0.5), 0.20483276469913345, 1e-13, 'I(0.1; 0.5, 0.5)');
  close(regularizedIncompleteBeta(0.3, 10, 20), 0.3640040810719437, 1e-13, 'I(0.3; 10, 20)');
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
});

test('Student t CDF and 97.5% quantiles match scipy.stats.t', () => {
  const q975: [number, number][] = [
    [1, 12.706204736174694], [2, 4.302652729749462], [4, 2.7764451051977934], [9, 2.262157162798205],
    [29, 2.045229642132703], [100, 1.9839715185235518],
  ];
  for (const [df, q] of q975) close(studentTQuantile(0.975, df), q, 1e-9 * q, `t.ppf(0.975, ${df})`);
  const cdf15: [number, number][] = [[1, 0.8128329581890011], [2, 0.8638034375544994], [4, 0.896], [9, 0.9160746719714625], [29, 0.9277881519798071]];
  for (const [df, c] of cdf15) close(studentTCdf(1.5, df), c, 1e-12, `t.cdf(1.5, ${df})`);
  close(studentTCdf(-1.5, 4), 1 - 0.896, 1e-12);
  close(studentTQuantile(0.025, 4), -2.7764451051977934, 1e-9);
  close(studentTCdf(0, 3), 0.5, 1e-15);
});

test('95% CI uses the t quantile with n−1 df', () => {
  const ci = confidenceInterval([0.91, 0.93, 0.9, 0.95, 0.92])!;
  close(ci[0], 0.8981161161190002, 1e-12, 'low'); // scipy: m − t.ppf(0.975, 4)·s/√5
  close(ci[1], 0.9458838838809999, 1e-12, 'high');
  assert.equal(confidenceInterval([0.9]), undefined);
});

test('paired t-test matches scipy.stats.ttest_rel', () => {
  const r = pairedTTest([0.91, 0.93, 0.9, 0.95, 0.92], [0.89, 0.9, 0.91, 0.92, 0.88])!;
  close(r.statistic, 2.5574480523640233, 1e-9, 't');
  close(r.p, 0.06280761100070123, 1e-9, 'p');
  assert.equal(r.n, 5);
  const d = [0.012, -0.004, 0.021, 0.035, 0.008, 0.017, -0.009, 0.026];
  const r2 = pairedTTest(d, d.map(() => 0))!;
  close(r2.p, 0.039022703008780905, 1e-9, 'p (8 pairs)');
  // A missing side drops the pair; fewer than 2 pairs: undefined.
  assert.equal(pairedTTest([0.9, null], [0.8, 0.7]), undefined);
  assert.equal(pairedTTest([0.9, 0.8], [0.9, 0.8])!.p, 1);
  assert.equal(pairedTTest([0.9, 0.8], [0.8, 0.7])!.p, 0);
});

test('exact Wilcoxon signed-rank matches scipy (method="exact")', () => {
  close(wilcoxonSignedRank([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])!.p, 0.0625, 1e-15, 'all positive n=5');
  close(wilcoxonSignedRank([-1, -2, -3, -4, -5, -6], [0, 0, 0, 0, 0, 0])!.p, 0.03125, 1e-15, 'all negative n=6');
  const d = [0.012, -0.004, 0.021, 0.035, 0.008, 0.017, -0.009, 0.026];
  const r = wilcoxonSignedRank(d, d.map(() => 0))!;
  close(r.p, 0.0546875, 1e-15, 'p (8 pairs)');
  assert.equal(r.statistic, 32); // W+ = 36 − W− (W− = 1 + 3 = 4)
  const d12 = [0.5, -1, 2, 3, -4, 5, 6, 7, 8, 9, 10, 11];
  close(wilcoxonSignedRank(d12, d12.map(() => 0))!.p, 0.00927734375, 1e-15, 'p (12 pairs)');
  // Zero differences are dropped; all zero: undefined.
  assert.equal(wilcoxonSignedRank([0.9, 0.8], [0.9, 0.8]), undefined);
  assert.equal(wilcoxonSignedRank([0.9, 0.8, 0.7], [0.9, 0.7, 0.6])!.n, 2);
});

test('Wilcoxon with tied |differences| equals brute-force enumeration over sign flips with midranks', () => {
  const d = [0.02, -0.02, 0.03, 0.01, 0.03, -0.01, 0.05];
  const r = wilcoxonSignedRank(d, d.map(() => 0))!;
  const ranks = midranks(d.map(Math.abs));
  const w = d.reduce((s, x, i) => s + (x > 0 ? ranks[i] : 0), 0);
  let le = 0;
  let ge = 0;
  for (let mask = 0; mask < 1 << d.length; mask++) {
    let s = 0;
    for (let i = 0; i < d.length; i++) if (mask & (1 << i)) s += ranks[i];
    if (s <= w + 1e-9) le++;
    if (s >= w - 1e-9) ge++;
  }
  const n = 1 << d.length;
  close(r.p, Math.min(1, (2 * Math.min(le, ge)) / n), 1e-15, 'ties');
  assert.deepEqual(midranks([3, 1, 3, 2]), [3.5, 1, 3.5, 2]);
});

test('ranks: 1 = best, ties share, undefined skipped', () => {
  assert.deepEqual(rankValues([0.9, 0.95, undefined, 0.9]), [2, 1, undefined, 2]);
  assert.deepEqual(rankValues([0.3, 0.1, 0.2], true), [3, 1, 2]);
});
