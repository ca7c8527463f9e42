import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  cohenDz, confidenceInterval, detectableNoncentrality, erfc, holmAdjust, mean, median, midranks, minimumDetectableDifference,
  judgeClaim, nonInferiorityP, noncentralTCdf, noncentralTCdfIntegral, normalCdf, pairedPower, pairedTPower, pairedTTest, rankValues, regularizedIncompleteBeta, seedsNeeded,
  standardError, std, studentTCdf, studentTQuantile, variance, wilcoxonSignedRank,
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

// Reference values below: test/reference/stats-reference.py (mpmath at 40 digits by direct integration, and scipy 1.17.1
// whose noncentral t is Boost's; statsmodels 0.13.5 for TTestPower and Holm).

test('normal CDF matches mpmath.ncdf and scipy.special.ndtr to ~1e-14 relative, tails included', () => {
  const ref: [number, number, number][] = [
    [-8.0, 6.220960574271784e-16, 6.22096057427174e-16], [-5.0, 2.866515718791939e-07, 2.866515718791933e-07],
    [-3.0, 0.0013498980316300946, 0.0013498980316300933], [-0.5, 0.3085375387259869, 0.3085375387259869], [0.0, 0.5, 0.5],
    [0.3, 0.6179114221889527, 0.6179114221889526], [1.5, 0.9331927987311419, 0.9331927987311419],
    [2.5, 0.9937903346742238, 0.9937903346742238], [4.0, 0.9999683287581669, 0.9999683287581669],
    [6.0, 0.9999999990134123, 0.9999999990134123],
  ];
  for (const [z, mpv, sp] of ref) {
    close(normalCdf(z), mpv, 2e-14 * mpv, `Φ(${z}) vs mpmath`);
    close(normalCdf(z), sp, 2e-14 * sp, `Φ(${z}) vs scipy`);
  }
  close(erfc(3), 2.209049699858544e-05, 1e-18, 'erfc(3)'); // mpmath.erfc(3)
  assert.equal(erfc(30), 0);
  assert.equal(erfc(-30), 2);
});

test('noncentral t CDF matches mpmath integration and scipy (Boost) — small df, large δ, both signs, both tails', () => {
  // [t, df, δ, mpmath, scipy.stats.nct.cdf]
  const ref: [number, number, number, number, number][] = [
    [2.0, 4, 1.0, 0.7645674538243242, 0.7645674538243243],
    [-1.5, 2, 0.5, 0.06293322227658643, 0.06293322227658647],
    [0.5, 3, 2.0, 0.0654789855646168, 0.0654789855646168],
    [1.0, 10, -2.0, 0.9981835665895703, 0.9981835665895703],
    [3.0, 29, 3.0, 0.4900047966658815, 0.49000479666588204],
    [4.302652729749462, 2, 6.0, 0.1642618801797283, 0.1642618801797286],
    [12.706204736174694, 1, 16.0, 0.20935335307888783, 0.2093533530788875],
    [2.5, 100, 2.8, 0.38146535206099935, 0.3814653520609993],
    [0.5, 3, 10.0, 6.065871882752286e-21, 6.065871882752259e-21],
    [8.0, 5, 30.0, 8.751606939388902e-13, 8.751606939388894e-13],
    [-2.0, 7, 1.5, 0.0010389605231955418, 0.0010389605231954447],
    [60.0, 1, 60.0, 0.31737771261906444, 0.3173777126190658],
    [1.96, 1000, 2.8, 0.20054274129423172, 0.20054274129423164],
    // |δ| > SERIES_MAX_DELTA: integrated rather than summed
    [60.0, 2, 30.0, 0.7786926238183296, 0.7786926238183299],
    [60.0, 1, 45.0, 0.4533174311011847, 0.4533174311011853],
    [12.7, 1, 100.0, 4.169698892112658e-15, 4.169698892112651e-15],
    [127.0, 1, 1000.0, 3.4410671368935307e-15, 3.4410671368933772e-15],
    [30.0, 5, 45.0, 0.04737185488456422, 0.047371854884564114],
    [60.0, 29, 50.0, 0.8865560545664722, 0.8865560545664719],
    [-3.0, 4, -80.0, 1.0, 1.0],
    [45.0, 3, 1000000.0, 0.0, 0.0],
  ];
  for (const [t, df, nc, mpv, sp] of ref) {
    const v = noncentralTCdf(t, df, nc);
    close(v, mpv, 1e-12, `nct.cdf(${t}, ${df}, ${nc}) vs mpmath`);
    close(v, sp, 1e-12, `nct.cdf(${t}, ${df}, ${nc}) vs scipy`);
    if (mpv > 1e-10) close(v, mpv, 1e-11 * mpv, `nct.cdf(${t}, ${df}, ${nc}) relative`);
  }
  // δ = 0 is Student t; t → ±∞; large df tends to the shifted normal.
  close(noncentralTCdf(1.5, 4, 0), 0.896, 1e-12);
  assert.equal(noncentralTCdf(Infinity, 3, 2), 1);
  assert.equal(noncentralTCdf(-Infinity, 3, 2), 0);
  close(noncentralTCdf(2.3, Infinity, 1.1), normalCdf(1.2), 1e-15);
});

test('the integral and the series agree where both apply (|δ| ≤ 40), across df, signs and tails', () => {
  for (const df of [1, 2, 5, 29, 1000]) {
    for (const delta of [-38, -5, 0.5, 10, 38]) {
      for (const t of [-60, -2, 0, 1.96, 12.7, 60]) {
        close(noncentralTCdfIntegral(t, df, delta), noncentralTCdf(t, df, delta), 1e-12, `F(${t}; ${df}, ${delta})`);
      }
    }
  }
});

// Two accuracy differences equal up to rounding (10/359 computed from two different pairs of counts: 300/359 − 290/359
// and 302/359 − 292/359 differ in the last bit) have a standard deviation of ~1e-16 and d_z ~ 3e14: the series would
// need ~1e14 terms, and the report hung on them.
test('power, MDD and seeds needed of paired differences equal up to rounding: computed, not hung', () => {
  const differences = [300 / 359 - 290 / 359, 302 / 359 - 292 / 359];
  const dz = cohenDz(differences)!;
  assert.ok(Number.isFinite(dz) && Math.abs(dz) > 1e12, `d_z ${dz}`);
  // In a child process with a time limit: a loop that does not end cannot be interrupted inside this one.
  const script = `const s = require(${JSON.stringify(join(__dirname, '..', 'src', 'report', 'stats.js'))});
    const d = ${JSON.stringify(differences)};
    const p = s.pairedPower(d, { alpha: 0.05 / 6 });
    console.log(JSON.stringify([s.pairedTPower(2, s.cohenDz(d), { alpha: 0.0125 }), s.seedsNeeded(s.cohenDz(d), { alpha: 0.05 / 6 }), p && p.seedsForObserved]));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  assert.equal(r.signal, null, 'the power computation did not end within 20 s');
  assert.deepEqual(JSON.parse(r.stdout), [1, 2, 2]);
});

test('paired t-test power (two-sided both tails; one-sided) matches mpmath, scipy and statsmodels TTestPower', () => {
  // [n, d_z, alpha, sides, mpmath, scipy]
  const ref: [number, number, number, 1 | 2, number, number][] = [
    [3, 1.0, 0.05, 2, 0.1792553937765517, 0.1792553937765518],
    [3, 3.0, 0.05, 2, 0.7452680070062834, 0.7452680070062837],
    [5, 0.8, 0.05, 2, 0.2809920635173737, 0.2809920635173739],
    [10, 0.5, 0.05, 2, 0.2931756065140766, 0.29317560651407687],
    [2, 10.0, 0.05, 2, 0.732819589805712, 0.7328195898057123],
    [6, 1.2, 0.0125, 2, 0.33626471182381845, 0.3362647118238174],
    [20, 0.3, 0.05, 1, 0.3627796488464268, 0.36277964884642744],
    [4, -0.5, 0.05, 2, 0.11127491551700917, 0.11127491551700928],
  ];
  for (const [n, dz, alpha, sides, mpv, sp] of ref) {
    const v = pairedTPower(n, dz, { alpha, sides });
    close(v, mpv, 1e-12, `power(n=${n}, dz=${dz}, α=${alpha}, ${sides}-sided) vs mpmath`);
    close(v, sp, 1e-12, `power(n=${n}, dz=${dz}) vs scipy`);
  }
  // statsmodels 0.13.5 (scipy 1.10's Boost) TTestPower().power(effect_size, nobs, alpha, 'two-sided'): agrees to ~1e-10.
  close(pairedTPower(3, 1, { alpha: 0.05 }), 0.17925539376539415, 2e-10, 'statsmodels n=3');
  close(pairedTPower(2, 10, { alpha: 0.05 }), 0.7328195897960811, 2e-10, 'statsmodels n=2');
  // Power at d_z = 0 is the level (both tails of the two-sided test).
  close(pairedTPower(4, 0, { alpha: 0.05 }), 0.05, 1e-12, 'power at 0');
});

test('detectable d_z at 80% power (MDD/sd) matches mpmath; MDD = d_z*·sd and power at the MDD is 80%', () => {
  // [n, alpha, sides, d_z*] from mpmath root finding on the power.
  const ref: [number, number, 1 | 2, number][] = [
    [2, 0.05, 2, 11.549888435882357], [3, 0.05, 2, 3.264043549699572], [3, 0.0125, 2, 6.546046683632413],
    [5, 0.05, 2, 1.681996965955555], [10, 0.05, 2, 0.9960013714554439], [30, 0.05, 2, 0.5292356151129529],
    [6, 0.05, 1, 1.1857905817847647],
  ];
  for (const [n, alpha, sides, dz] of ref) {
    close(minimumDetectableDifference(n, 1, { alpha, sides }), dz, 1e-10 * dz, `d_z*(n=${n}, α=${alpha}, ${sides}-sided)`);
    close(minimumDetectableDifference(n, 0.02, { alpha, sides }), 0.02 * dz, 1e-10 * dz, 'scales with sd');
    close(detectableNoncentrality(n, { alpha, sides }), dz * Math.sqrt(n), 1e-9 * dz * Math.sqrt(n), 'δ* = d_z*·√n');
  }
  close(pairedTPower(5, minimumDetectableDifference(5, 1, { alpha: 0.05 })!, { alpha: 0.05 }), 0.8, 1e-10, 'power at MDD');
  // The normal approximation ((z_{1−α/2} + z_0.8)/√n = 1.253 for n = 5) understates the MDD badly at small n.
  assert.ok(minimumDetectableDifference(5, 1, { alpha: 0.05 })! > 1.3 * 1.2530435);
  assert.equal(minimumDetectableDifference(1, 1, { alpha: 0.05 }), undefined);
});

test('seeds needed for 80% power match mpmath (smallest n with power ≥ 0.8)', () => {
  const ref: [number, number, 1 | 2, number][] = [
    [2.0, 0.05, 2, 5], [1.0, 0.05, 2, 10], [0.5, 0.05, 2, 34], [0.2, 0.05, 2, 199], [1.0, 0.0125, 2, 15], [0.5, 0.05, 1, 27],
  ];
  for (const [dz, alpha, sides, n] of ref) {
    assert.equal(seedsNeeded(dz, { alpha, sides }), n, `seeds for d_z=${dz}, α=${alpha}, ${sides}-sided`);
    if (sides === 2) assert.equal(seedsNeeded(-dz, { alpha }), n, 'two-sided: the sign does not matter');
  }
  assert.equal(seedsNeeded(0, { alpha: 0.05 }), Infinity);
  assert.equal(seedsNeeded(-0.5, { alpha: 0.05, sides: 1 }), Infinity, 'one-sided: an effect in the wrong direction is never detected');
  assert.equal(seedsNeeded(0.001, { alpha: 0.05 }), Infinity, 'beyond MAX_SEEDS');
});

test('Holm adjustment matches statsmodels multipletests(method="holm") and R p.adjust', () => {
  const cases: [number[], number[]][] = [
    [[0.01, 0.04, 0.03, 0.005], [0.03, 0.06, 0.06, 0.02]],
    [[0.013, 0.022, 0.113, 0.5], [0.052, 0.066, 0.226, 0.5]],
    [[0.2, 0.2, 0.01], [0.4, 0.4, 0.03]],
    [[0.04, 0.6, 0.001, 0.02, 0.03], [0.09, 0.6, 0.005, 0.08, 0.09]],
  ];
  for (const [p, adj] of cases) {
    holmAdjust(p).forEach((v, i) => close(v, adj[i], 1e-15, `holm(${p})[${i}]`));
  }
  // Missing p-values are not part of the family; one p-value is its own adjustment.
  assert.deepEqual(holmAdjust([undefined, 0.02, null, 0.04]), [undefined, 0.04, undefined, 0.04]);
  assert.deepEqual(holmAdjust([0.03]), [0.03]);
});

test('Cohen d_z and the power figures of paired differences', () => {
  const d = [0.012, -0.004, 0.021, 0.035, 0.008, 0.017, -0.009, 0.026];
  const dz = cohenDz(d)!;
  close(dz, mean(d)! / std(d)!, 1e-15);
  close(pairedTTest(d, d.map(() => 0))!.statistic, dz * Math.sqrt(d.length), 1e-12, 't = d_z·√n');
  assert.equal(cohenDz([0.01, 0.01]), Infinity);
  assert.equal(cohenDz([0.01]), undefined);
  const pw = pairedPower(d, { alpha: 0.05 })!;
  assert.equal(pw.n, 8);
  close(pw.sd, std(d)!, 1e-15);
  close(pw.mdd, minimumDetectableDifference(8, std(d)!, { alpha: 0.05 })!, 1e-15);
  assert.equal(pw.seedsForObserved, seedsNeeded(dz, { alpha: 0.05 }));
  assert.ok(pw.seedsForObserved > 8 && pw.seedsForObserved < 20, `${pw.seedsForObserved}`); // p = 0.039 with 8: power ~ 0.5
  assert.equal(pairedPower([0.1], { alpha: 0.05 }), undefined);
});

/** n improvements with mean m and sample sd exactly s (a centred, standardised ramp). */
function withMeanSd(n: number, m: number, s: number): number[] {
  const z = Array.from({ length: n }, (_, i) => i - (n - 1) / 2);
  const sz = std(z)!;
  return z.map((v) => m + (s * v) / sz);
}

const pOf = (d: number[]) => pairedTTest(d, d.map(() => 0))!.p;

test('claim verdicts: holds / does not hold / inconclusive by the power of the experiment', () => {
  const alpha = 0.05;
  // Significant improvement: holds.
  const strong = withMeanSd(5, 0.03, 0.01);
  assert.equal(judgeClaim({ kind: 'better', improvements: strong, p: pOf(strong), alpha, family: 1 }).verdict, 'holds');
  // 3 seeds, paired SD 2 points, +1 point observed, the paper reports +2 points: MDD = 3.264·0.02 = 6.5 points > 2.
  const weak = withMeanSd(3, 0.01, 0.02);
  const j = judgeClaim({ kind: 'better', improvements: weak, p: pOf(weak), alpha, family: 1, effect: 0.02 });
  assert.equal(j.verdict, 'inconclusive');
  close(j.mdd, 3.264043549699572 * 0.02, 1e-10, 'MDD = d_z*(3)·sd');
  assert.equal(j.seedsNeeded, 10, 'd_z = 1 at α = 0.05 needs 10 pairs (mpmath)');
  assert.equal(j.seedsFor, 'effect');
  assert.match(j.reason, /MDD 0\.065 \(80% power, α = 0\.05\) > the paper's \+0\.020: could not have detected it; 10 seeds would/);
  // 30 seeds with SD 0.5 points: MDD 0.26 points < 2: a null result is a real "does not hold".
  const powered = withMeanSd(30, 0.0005, 0.005);
  const k = judgeClaim({ kind: 'better', improvements: powered, p: pOf(powered), alpha, family: 1, effect: 0.02 });
  assert.equal(k.verdict, 'does not hold');
  close(k.mdd, 0.5292356151129529 * 0.005, 1e-11, 'MDD at n = 30');
  // Without a stated effect: a positive non-significant difference is inconclusive, with the seeds that would detect it.
  const u = judgeClaim({ kind: 'better', improvements: weak, p: pOf(weak), alpha, family: 1 });
  assert.equal(u.verdict, 'inconclusive');
  assert.equal(u.seedsFor, 'observed');
  assert.equal(u.seedsNeeded, seedsNeeded(0.5, { alpha }), 'd_z = 0.01/0.02');
  // ... a negative one is "does not hold" only when it is at least half the MDD (0.0326 here).
  const slightlyWorse = withMeanSd(3, -0.03, 0.02);
  assert.ok(pOf(slightlyWorse) > alpha);
  assert.equal(judgeClaim({ kind: 'better', improvements: slightlyWorse, p: pOf(slightlyWorse), alpha, family: 1 }).verdict, 'inconclusive');
  const worse = withMeanSd(3, -0.034, 0.02);
  assert.ok(pOf(worse) > alpha, 'not significant by itself');
  assert.equal(judgeClaim({ kind: 'better', improvements: worse, p: pOf(worse), alpha, family: 1 }).verdict, 'does not hold');
  // Identical arms on every seed (e.g. every arm stuck at chance): no spread, MDD 0; not evidence against the claim.
  for (const effect of [undefined, 0.02]) {
    const same = judgeClaim({ kind: 'better', improvements: [0, 0, 0], p: pOf([0, 0, 0]), alpha, family: 4, effect });
    assert.equal(same.verdict, 'inconclusive', `identical arms, effect ${effect}`);
    assert.match(same.reason, /every paired difference is 0/);
  }
  // Significantly the other way: does not hold, whatever the power.
  const opposite = withMeanSd(3, -0.1, 0.01);
  assert.equal(judgeClaim({ kind: 'better', improvements: opposite, p: pOf(opposite), alpha, family: 1, effect: 0.5 }).verdict, 'does not hold');
  // A family of 4: power at α/4 (Holm's strictest step): MDD = 6.546·sd (mpmath), and a raw p = 0.03 no longer holds.
  const f = judgeClaim({ kind: 'better', improvements: weak, p: 0.12, alpha, family: 4, effect: 0.02 });
  close(f.mdd, 6.546046683632413 * 0.02, 1e-10, 'MDD at α/4');
  assert.equal(f.powerAlpha, 0.0125);
  assert.equal(f.seedsNeeded, 15, 'd_z = 1 at α = 0.0125 needs 15 pairs (mpmath)');
  // Exact Wilcoxon cannot reach α/4 with fewer than ⌈log2(2/0.0125)⌉ = 8 pairs.
  const w = judgeClaim({ kind: 'better', improvements: weak, p: 0.5, alpha, family: 4, effect: 0.1, minSeeds: (l) => Math.ceil(Math.log2(2 / l)) });
  assert.equal(w.seedsNeeded, 8);
});

test('non-inferiority: p ↔ the (1 − α) CI above −margin; inconclusive when an equal arm could not be shown non-inferior', () => {
  const alpha = 0.05;
  const d = withMeanSd(3, -0.001, 0.02);
  const ci = confidenceInterval(d)!;
  // Margin at the CI's lower end: p = alpha exactly.
  close(nonInferiorityP(d, -ci[0]), alpha, 1e-9, 'p at the CI bound');
  assert.ok(nonInferiorityP(d, -ci[0] + 0.001)! < alpha && nonInferiorityP(d, -ci[0] - 0.001)! > alpha);
  const j = judgeClaim({ kind: 'notWorse', improvements: d, p: nonInferiorityP(d, 0.01)!, alpha, family: 1, margin: 0.01 });
  assert.equal(j.verdict, 'inconclusive');
  // One-sided at α/2 = the two-sided 5% test: d_z* for n = 3 with one-sided 0.025 equals the two-sided 0.05 upper part.
  close(j.mdd, minimumDetectableDifference(3, 0.02, { alpha: 0.025, sides: 1 })!, 1e-15);
  assert.ok(j.mdd! > 0.01);
  assert.equal(j.seedsFor, 'margin');
  assert.equal(j.seedsNeeded, seedsNeeded(0.5, { alpha: 0.025, sides: 1 }));
  // Clearly worse than the margin: does not hold.
  const bad = withMeanSd(5, -0.05, 0.005);
  assert.equal(judgeClaim({ kind: 'notWorse', improvements: bad, p: nonInferiorityP(bad, 0.01)!, alpha, family: 1, margin: 0.01 }).verdict, 'does not hold');
  // Enough seeds and a small SD: the experiment could have shown it, so a failure is "does not hold".
  const tight = withMeanSd(30, -0.009, 0.004);
  const t = judgeClaim({ kind: 'notWorse', improvements: tight, p: nonInferiorityP(tight, 0.01)!, alpha, family: 1, margin: 0.01 });
  assert.ok(t.mdd! < 0.01);
  assert.equal(t.verdict, 'does not hold');
  const good = withMeanSd(30, 0.002, 0.004);
  assert.equal(judgeClaim({ kind: 'notWorse', improvements: good, p: nonInferiorityP(good, 0.01)!, alpha, family: 1, margin: 0.01 }).verdict, 'holds');
});
