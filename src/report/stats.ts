/**
 * Small numeric helpers over plain arrays, d3-array style: values that are null, undefined or NaN are skipped;
 * sample statistics use the n−1 denominator and are undefined when fewer than 2 values remain.
 *
 * The Student t distribution (CDF and quantile) is implemented here via the regularised incomplete beta function
 * (Lentz continued fraction, Numerical Recipes §6.4) so the reports need no statistics dependency.
 */

export type Maybe = number | null | undefined;

/** The finite numbers of `xs` (null, undefined, NaN and ±Infinity skipped). */
export function finite(xs: readonly Maybe[]): number[] {
  const out: number[] = [];
  for (const x of xs) if (typeof x === 'number' && Number.isFinite(x)) out.push(x);
  return out;
}

export function mean(xs: readonly Maybe[]): number | undefined {
  const v = finite(xs);
  if (!v.length) return undefined;
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Sample variance (n−1), by Welford's algorithm. */
export function variance(xs: readonly Maybe[]): number | undefined {
  const v = finite(xs);
  if (v.length < 2) return undefined;
  let m = 0;
  let m2 = 0;
  v.forEach((x, i) => {
    const d = x - m;
    m += d / (i + 1);
    m2 += d * (x - m);
  });
  return m2 / (v.length - 1);
}

/** Sample standard deviation (n−1). */
export function std(xs: readonly Maybe[]): number | undefined {
  const v = variance(xs);
  return v === undefined ? undefined : Math.sqrt(v);
}

/** Standard error of the mean, std / √n (n−1 in std). */
export function standardError(xs: readonly Maybe[]): number | undefined {
  const s = std(xs);
  return s === undefined ? undefined : s / Math.sqrt(finite(xs).length);
}

/** Median (mean of the two middle values for even n). */
export function median(xs: readonly Maybe[]): number | undefined {
  const v = finite(xs).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** Two-sided confidence interval of the mean with Student t quantiles (n−1 degrees of freedom). */
export function confidenceInterval(xs: readonly Maybe[], level = 0.95): [number, number] | undefined {
  const v = finite(xs);
  const m = mean(v);
  const se = standardError(v);
  if (m === undefined || se === undefined) return undefined;
  const q = studentTQuantile(1 - (1 - level) / 2, v.length - 1);
  return [m - q * se, m + q * se];
}

// ---------------------------------------------------------------------------------------------------------------
// Special functions and the t distribution.

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < 8; i++) a += LANCZOS[i] / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const bt = Math.exp(lbt);
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (bt * betaContinuedFraction(a, b, x)) / a;
  return 1 - (bt * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` > 0 degrees of freedom (df = Infinity gives the normal CDF). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (df === Infinity) return normalCdf(t);
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom: bracketing, then bisection to full precision. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Standard normal CDF (erfc by its Chebyshev-fitted approximation, |error| < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// Paired tests over matched seeds.

export interface PairedTest {
  /** Number of pairs used (pairs with a missing side are dropped). */
  n: number;
  /** Mean of the differences a − b. */
  meanDifference: number;
  /** Two-sided p-value. */
  p: number;
  /** The test statistic: t for the t-test, W+ (sum of the ranks of positive differences) for Wilcoxon. */
  statistic: number;
}

/** The differences a[i] − b[i] over the pairs where both are finite numbers. */
export function pairedDifferences(a: readonly Maybe[], b: readonly Maybe[]): number[] {
  const d: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) d.push(x - y);
  }
  return d;
}

/**
 * Two-sided paired t-test of mean(a − b) = 0 with n−1 degrees of freedom; undefined for fewer than 2 pairs.
 * When every difference is equal (zero spread) p is 1 if they are all 0 and 0 otherwise.
 */
export function pairedTTest(a: readonly Maybe[], b: readonly Maybe[]): PairedTest | undefined {
  const d = pairedDifferences(a, b);
  if (d.length < 2) return undefined;
  const m = mean(d)!;
  const s = std(d)!;
  const scale = Math.max(...d.map(Math.abs));
  if (s <= 1e-12 * Math.max(scale, 1e-300)) {
    return { n: d.length, meanDifference: m, p: m === 0 ? 1 : 0, statistic: m === 0 ? 0 : Math.sign(m) * Infinity };
  }
  const t = m / (s / Math.sqrt(d.length));
  const p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), d.length - 1)));
  return { n: d.length, meanDifference: m, p, statistic: t };
}

/** Ranks 1..n of |values| with ties given their mean rank (midranks). */
export function midranks(values: readonly number[]): number[] {
  const idx = values.map((v, i) => i).sort((i, j) => values[i] - values[j]);
  const ranks = new Array<number>(values.length);
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && values[idx[e + 1]] === values[idx[s]]) e++;
    const r = (s + e + 2) / 2;
    for (let k = s; k <= e; k++) ranks[idx[k]] = r;
    s = e + 1;
  }
  return ranks;
}

/**
 * Exact two-sided Wilcoxon signed-rank test of the paired differences a − b.
 *
 * Zero differences are dropped (Wilcoxon's convention); tied |differences| get midranks and the exact null
 * distribution is computed for those ranks (all 2^n sign assignments, by dynamic programming over doubled ranks),
 * so the p-value is exact for any n up to a few hundred. p = min(1, 2·min(P(W+ ≤ w), P(W+ ≥ w))).
 * Undefined when no non-zero difference remains. The smallest attainable p with n pairs is 2/2^n (0.0625 for n = 5).
 */
export function wilcoxonSignedRank(a: readonly Maybe[], b: readonly Maybe[]): PairedTest | undefined {
  const all = pairedDifferences(a, b);
  const scale = Math.max(0, ...all.map(Math.abs));
  // Differences within rounding of zero (e.g. 0.93 − 0.93 computed two ways) count as zero; so do near-equal magnitudes.
  const eps = 1e-9 * scale;
  if (!(scale > 0)) return undefined;
  const d = all.filter((x) => Math.abs(x) > eps);
  const mags = d.map((x) => Math.round(Math.abs(x) / eps) * eps);
  const ranks = midranks(mags);
  const doubled = ranks.map((r) => Math.round(2 * r)); // midranks are multiples of 1/2
  const wPlus2 = d.reduce((s, x, i) => s + (x > 0 ? doubled[i] : 0), 0);
  const total = doubled.reduce((s, r) => s + r, 0);
  // counts[w] = number of sign assignments whose doubled W+ is w; as probabilities to avoid overflow for large n.
  let dist = new Float64Array(total + 1);
  dist[0] = 1;
  for (const r of doubled) {
    const next = new Float64Array(total + 1);
    for (let w = 0; w <= total; w++) {
      if (!dist[w]) continue;
      next[w] += dist[w] / 2;
      next[w + r] += dist[w] / 2;
    }
    dist = next;
  }
  let lower = 0;
  let upper = 0;
  for (let w = 0; w <= total; w++) {
    if (w <= wPlus2) lower += dist[w];
    if (w >= wPlus2) upper += dist[w];
  }
  const p = Math.min(1, 2 * Math.min(lower, upper));
  return { n: d.length, meanDifference: mean(d)!, p, statistic: wPlus2 / 2 };
}

/** Ranks 1 = largest (or smallest with `ascending`); ties share the smallest rank ("competition" ranking); undefined values get undefined. */
export function rankValues(values: readonly Maybe[], ascending = false): (number | undefined)[] {
  return values.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    let better = 0;
    for (const w of values) if (typeof w === 'number' && Number.isFinite(w) && (ascending ? w < v : w > v)) better++;
    return better + 1;
  });
}
