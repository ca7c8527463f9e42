/**
 * Small numeric helpers over plain arrays, d3-array style: values that are null, undefined or NaN are skipped;
 * sample statistics use the n−1 denominator and are undefined when fewer than 2 values remain.
 *
 * Distributions are implemented here, checked against scipy reference values in test/stats.test.ts:
 * - Student t (CDF, quantile) via the regularised incomplete beta function (Lentz continued fraction, Numerical
 *   Recipes §6.4);
 * - the normal CDF via erfc (power series / continued fraction, ~1e-15);
 * - the noncentral t CDF as the Poisson-weighted series of incomplete beta functions summed outwards from the
 *   Poisson mode (Benton & Krishnamoorthy 2003, Comput. Stat. Data Anal. 43:249), so that large noncentralities
 *   neither underflow nor need thousands of negligible leading terms.
 * On top of them: the power of the paired t-test, the minimum detectable difference, the seeds needed, Cohen's d_z
 * and Holm's step-down adjustment. No npm package offered a noncentral t that is both maintained and accurate:
 * @stdlib has none, and jstat's sums from the first term with a fixed iteration floor (AS 243 style), which underflows
 * once δ²/2 exceeds ~745.
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

/**
 * erfc(x): for |x| < 2 by 1 − erf(x) with erf's all-positive series erf(x) = 2x·e^{−x²}/√π · Σ (2x²)^n/(2n+1)!!;
 * for x ≥ 2 by the continued fraction erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))) (modified Lentz).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return 1 - ((2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum);
  }
  if (x > 27) return 0; // below the smallest double
  const TINY = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = x + a / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Standard normal CDF, Φ(z) = erfc(−z/√2)/2. */
export function normalCdf(z: number): number {
  return erfc(-z / Math.SQRT2) / 2;
}

/**
 * P(T ≤ t) for the noncentral t distribution with `df` degrees of freedom and noncentrality `delta`
 * (T = (Z + δ)/√(χ²_df/df)). For t ≥ 0, with x = t²/(t² + df) and λ = δ²/2,
 *
 *   F(t) = Φ(−δ) + ½ Σ_j [ p_j I_x(j + ½, df/2) + q_j I_x(j + 1, df/2) ],
 *   p_j = e^{−λ} λ^j / j!,   q_j = δ e^{−λ} λ^j / (√2 Γ(j + 3/2)),
 *
 * summed from j = ⌊λ⌋ forwards and backwards until the weights fall below 1e-18 (absolute error ~1e-14 where
 * F is not tiny); for t < 0, F(t; df, δ) = 1 − F(−t; df, −δ).
 *
 * The series needs ~√λ terms, so for |δ| > SERIES_MAX_DELTA (as when the paired differences of a claim are equal
 * up to rounding, and d_z is ~1e14) F is integrated instead: F(t) = ∫₀^∞ Φ(t·s − δ) f_S(s) ds, S = √(χ²_df/df).
 */
export function noncentralTCdf(t: number, df: number, delta: number): number {
  if (Number.isNaN(t) || !(df > 0) || !Number.isFinite(delta)) return NaN;
  if (delta === 0) return studentTCdf(t, df);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (df === Infinity) return normalCdf(t - delta);
  if (Math.abs(delta) > SERIES_MAX_DELTA) return Math.min(1, Math.max(0, noncentralTCdfIntegral(t, df, delta)));
  const f = t >= 0 ? noncentralTCdfNonNegative(t, df, delta) : 1 - noncentralTCdfNonNegative(-t, df, -delta);
  return Math.min(1, Math.max(0, f));
}

/** Above this |δ| the noncentral t CDF is integrated rather than summed (λ = δ²/2 = 800: ~300 series terms). */
export const SERIES_MAX_DELTA = 40;

/**
 * F(t; df, δ) = ∫₀^∞ Φ(t·s − δ) f_S(s) ds with f_S the density of S = √(χ²_df/df), by adaptive Gauss–Kronrod
 * (7/15 points). The panels start at the places where the integrand changes: around the density's mode (its sd is
 * about 1/√(2df)) and around s = δ/t, where Φ(t·s − δ) steps between 0 and 1 over a width of 1/|t|. The upper limit
 * is where the density has fallen below e^-700 (Wilson–Hilferty's normal approximation of (χ²/df)^⅓, 40 sd).
 */
export function noncentralTCdfIntegral(t: number, df: number, delta: number): number {
  const logNorm = Math.LN2 + (df / 2) * Math.log(df / 2) - logGamma(df / 2);
  const density = (s: number) => Math.exp(logNorm + (df === 1 ? 0 : (df - 1) * Math.log(s)) - (df * s * s) / 2);
  const f = (s: number) => normalCdf(t * s - delta) * density(s);
  const upper = Math.pow(1 + 40 * Math.sqrt(2 / (9 * df)), 1.5);
  const mode = Math.sqrt(Math.max(0, (df - 1) / df));
  const spread = Math.min(1, 1 / Math.sqrt(2 * df));
  const cuts = [0, upper];
  for (const k of [-10, -3, -1, 0, 1, 3, 10]) {
    cuts.push(mode + k * spread);
    if (t !== 0) cuts.push(delta / t + k / Math.abs(t));
  }
  const points = [...new Set(cuts.filter((x) => x >= 0 && x <= upper))].sort((a, b) => a - b);
  // Divided by the density's own integral over the same panels: the normalising constant's rounding (a difference
  // of two numbers of size df·log df) cancels.
  let sum = 0;
  let mass = 0;
  for (let i = 1; i < points.length; i++) {
    sum += adaptiveKronrod(f, points[i - 1], points[i], 0);
    mass += adaptiveKronrod(density, points[i - 1], points[i], 0);
  }
  return sum / mass;
}

// Gauss–Kronrod 15-point nodes (xgk) and weights (wgk), and the embedded 7-point Gauss weights (wg, at xgk[1,3,5,7]).
const XGK = [0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
  0.586087235467691130294144845693013, 0.405845151377397166906606412076961, 0.207784955007898467600689403773245, 0];
const WGK = [0.02293532201052922496373200805897, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
  0.16900472663926790282658342659855, 0.190350578064785409913256402421014, 0.204432940075298892414161999234649, 0.209482141084727828012999174891714];
const WG = [0.129484966168869693270611432679082, 0.27970539148927666790146777142378, 0.381830050505118944950369775488975, 0.417959183673469387755102040816327];

/** ∫ f over [a, b], halving an interval until Kronrod and Gauss agree to 1e-17 absolute or 1e-14 relative (depth ≤ 30). */
function adaptiveKronrod(f: (x: number) => number, a: number, b: number, depth: number): number {
  const centre = (a + b) / 2;
  const half = (b - a) / 2;
  const fc = f(centre);
  let kronrod = fc * WGK[7];
  let gauss = fc * WG[3];
  for (let j = 0; j < 7; j++) {
    const x = half * XGK[j];
    const pair = f(centre - x) + f(centre + x);
    kronrod += WGK[j] * pair;
    if (j % 2 === 1) gauss += WG[(j - 1) / 2] * pair;
  }
  kronrod *= half;
  gauss *= half;
  if (Math.abs(kronrod - gauss) <= Math.max(1e-17, 1e-14 * Math.abs(kronrod)) || depth >= 30) return kronrod;
  return adaptiveKronrod(f, a, centre, depth + 1) + adaptiveKronrod(f, centre, b, depth + 1);
}

function noncentralTCdfNonNegative(t: number, df: number, delta: number): number {
  const base = normalCdf(-delta);
  if (t === 0) return base;
  const x = (t * t) / (df + t * t);
  const b = df / 2;
  const lambda = (delta * delta) / 2;
  const k = Math.floor(lambda);
  const logLambdaK = k > 0 ? k * Math.log(lambda) : 0;
  const p0 = Math.exp(-lambda + logLambdaK - logGamma(k + 1));
  const q0 = Math.sign(delta) * Math.exp(Math.log(Math.abs(delta) / Math.SQRT2) - lambda + logLambdaK - logGamma(k + 1.5));
  const WEIGHT_FLOOR = 1e-18;
  let sum = 0;
  let p = p0;
  let q = q0;
  for (let j = k; j < k + 1_000_000; j++) {
    sum += p * regularizedIncompleteBeta(x, j + 0.5, b) + q * regularizedIncompleteBeta(x, j + 1, b);
    p *= lambda / (j + 1);
    q *= lambda / (j + 1.5);
    if (p + Math.abs(q) < WEIGHT_FLOOR) break;
  }
  p = p0;
  q = q0;
  for (let j = k - 1; j >= 0; j--) {
    p *= (j + 1) / lambda;
    q *= (j + 1.5) / lambda;
    sum += p * regularizedIncompleteBeta(x, j + 0.5, b) + q * regularizedIncompleteBeta(x, j + 1, b);
    if (p + Math.abs(q) < WEIGHT_FLOOR) break;
  }
  return base + sum / 2;
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

// ---------------------------------------------------------------------------------------------------------------
// Effect size, power and multiplicity.

/** Paired Cohen's d_z = mean(d)/sd(d) of the differences (sd with n−1); ±Infinity when sd = 0, undefined for n < 2. */
export function cohenDz(differences: readonly Maybe[]): number | undefined {
  const m = mean(differences);
  const s = std(differences);
  if (m === undefined || s === undefined) return undefined;
  if (s === 0) return m === 0 ? undefined : Math.sign(m) * Infinity;
  return m / s;
}

export interface PowerOptions {
  /** Significance level of the test (two-sided unless `sides` is 1). */
  alpha: number;
  /** 1: a one-sided test at level alpha (e.g. non-inferiority); 2 (default): two-sided. */
  sides?: 1 | 2;
}

/**
 * Power of the paired t-test with n pairs at standardised effect d_z (true mean difference / true sd of the
 * differences): with df = n − 1, δ = d_z·√n and c the critical t,
 * two-sided P(T > c) + P(T < −c), one-sided P(T > c), T ~ noncentral t(df, δ). (R: power.t.test(type = "paired",
 * strict = TRUE); statsmodels: TTestPower.)
 */
export function pairedTPower(n: number, dz: number, options: PowerOptions): number {
  if (!(n >= 2) || Number.isNaN(dz)) return NaN;
  const df = n - 1;
  const sides = options.sides ?? 2;
  const c = studentTQuantile(1 - options.alpha / sides, df);
  if (!Number.isFinite(dz)) return dz > 0 || sides === 2 ? 1 : 0;
  const delta = dz * Math.sqrt(n);
  const upper = 1 - noncentralTCdf(c, df, delta);
  return sides === 2 ? upper + noncentralTCdf(-c, df, delta) : upper;
}

const noncentralityCache = new Map<string, number>();

/**
 * The noncentrality δ* at which the paired t-test with n pairs reaches the target power (bisection to 1e-12
 * relative; power is increasing in δ ≥ 0). Depends on n, alpha, sides and power only, so it is cached.
 */
export function detectableNoncentrality(n: number, options: PowerOptions & { power?: number }): number | undefined {
  if (!(n >= 2) || !Number.isInteger(n)) return undefined;
  const target = options.power ?? 0.8;
  const key = JSON.stringify([n, options.alpha, options.sides ?? 2, target]);
  const hit = noncentralityCache.get(key);
  if (hit !== undefined) return hit;
  const powerAt = (delta: number) => pairedTPower(n, delta / Math.sqrt(n), options);
  let lo = 0;
  let hi = 1;
  while (powerAt(hi) < target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) return undefined;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (powerAt(mid) < target) lo = mid;
    else hi = mid;
  }
  noncentralityCache.set(key, hi);
  return hi;
}

/**
 * Minimum detectable difference: the smallest true mean difference the paired t-test with n pairs detects with the
 * target power (default 0.8), if the differences have standard deviation `sd`: δ*·sd/√n. Undefined for n < 2.
 */
export function minimumDetectableDifference(n: number, sd: number, options: PowerOptions & { power?: number }): number | undefined {
  const delta = detectableNoncentrality(n, options);
  if (delta === undefined || !(sd >= 0)) return undefined;
  return (delta * sd) / Math.sqrt(n);
}

/** Largest seed count `seedsNeeded` searches; beyond it the answer is Infinity. */
export const MAX_SEEDS = 100_000;

/**
 * The smallest number of seed pairs n ≥ 2 at which the paired t-test detects a true standardised difference d_z
 * with the target power (default 0.8): Infinity when d_z is 0 or more than MAX_SEEDS would be needed.
 * Power is increasing in n, so exponential search then bisection.
 */
export function seedsNeeded(dz: number, options: PowerOptions & { power?: number }): number {
  const target = options.power ?? 0.8;
  const effect = options.sides === 1 ? dz : Math.abs(dz);
  if (!(effect > 0)) return Infinity;
  const enough = (n: number) => pairedTPower(n, effect, options) >= target;
  if (enough(2)) return 2;
  let lo = 2;
  let hi = 4;
  while (!enough(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_SEEDS) {
      if (!enough(MAX_SEEDS)) return Infinity;
      hi = MAX_SEEDS;
      break;
    }
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (enough(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Holm's step-down adjustment (Holm 1979; R's p.adjust(p, "holm")): with the m defined p-values sorted ascending,
 * p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)). Rejecting where p̃ < alpha controls the family-wise error rate at
 * alpha. Undefined entries stay undefined and are not counted in m.
 */
export function holmAdjust(ps: readonly Maybe[]): (number | undefined)[] {
  const idx: number[] = [];
  ps.forEach((p, i) => {
    if (typeof p === 'number' && !Number.isNaN(p)) idx.push(i);
  });
  idx.sort((i, j) => (ps[i] as number) - (ps[j] as number) || i - j);
  const out = new Array<number | undefined>(ps.length).fill(undefined);
  let running = 0;
  idx.forEach((i, r) => {
    running = Math.max(running, Math.min(1, (idx.length - r) * (ps[i] as number)));
    out[i] = running;
  });
  return out;
}

export interface PairedPower {
  /** Pairs used. */
  n: number;
  meanDifference: number;
  /** Standard deviation of the paired differences (n − 1). */
  sd: number;
  /** Cohen's d_z = mean/sd. */
  dz: number | undefined;
  /** Minimum detectable difference at `power` (same units as the data). */
  mdd: number | undefined;
  /** Seed pairs that would detect the observed mean difference with `power`, if the sd stayed as observed. */
  seedsForObserved: number;
  alpha: number;
  power: number;
}

/** Effect size and power figures of a set of paired differences (undefined for fewer than 2 pairs). */
export function pairedPower(differences: readonly Maybe[], options: PowerOptions & { power?: number }): PairedPower | undefined {
  const d = finite(differences);
  if (d.length < 2) return undefined;
  const sd = std(d)!;
  const m = mean(d)!;
  const dz = cohenDz(d);
  const power = options.power ?? 0.8;
  return {
    n: d.length,
    meanDifference: m,
    sd,
    dz,
    mdd: minimumDetectableDifference(d.length, sd, options),
    seedsForObserved: dz === undefined ? Infinity : !Number.isFinite(dz) ? 2 : seedsNeeded(dz, { ...options, power }),
    alpha: options.alpha,
    power,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Claim verdicts with power: "holds", "does not hold" or "inconclusive".

/**
 * One-sided p-value of non-inferiority, H0: mean improvement ≤ −margin, by the t-test over paired improvements
 * (n − 1 df). Reported doubled (capped at 1) so that "p < alpha" is the same decision as "the two-sided (1 − alpha)
 * CI of the improvement lies above −margin", the rule notWorse claims have always used.
 */
export function nonInferiorityP(improvements: readonly number[], margin: number): number | undefined {
  const d = finite(improvements);
  if (d.length < 2) return undefined;
  const m = mean(d)!;
  const s = std(d)!;
  if (s === 0) return m + margin > 0 ? 0 : 1;
  const t = (m + margin) / (s / Math.sqrt(d.length));
  return Math.min(1, 2 * (1 - studentTCdf(t, d.length - 1)));
}

export type ClaimVerdict = 'holds' | 'does not hold' | 'inconclusive';

export interface ClaimEvidence {
  kind: 'better' | 'notWorse';
  /** Paired improvements of the claimed arm, positive in the claimed direction (in the metric's units). */
  improvements: readonly number[];
  /** The claim's p-value after Holm's adjustment over its family (two-sided; notWorse: see nonInferiorityP). */
  p: number;
  alpha: number;
  /** Number of claims with a p-value in the family (1 = no adjustment). */
  family: number;
  /** better: the improvement the paper reports, in the metric's units. */
  effect?: number;
  /** notWorse: the tolerated loss. */
  margin?: number;
  /** The smallest n at which the test can reach its level at all (exact Wilcoxon: ⌈log2(2/level)⌉). */
  minSeeds?: (level: number) => number;
  power?: number;
}

export interface ClaimJudgement {
  verdict: ClaimVerdict;
  n: number;
  meanImprovement: number;
  sd: number;
  dz: number | undefined;
  /** The level power is computed at: alpha / family (Holm's first step, the strictest a claim can face). */
  powerAlpha: number;
  power: number;
  /** Minimum detectable difference at `power` and `powerAlpha` (notWorse: of the non-inferiority test, one-sided). */
  mdd: number | undefined;
  /** Seed pairs at which the paired t-test would reach `power` for `seedsFor`, if the sd stayed as observed. */
  seedsNeeded: number | undefined;
  /** What `seedsNeeded` is for: the stated effect, the observed improvement, or non-inferiority at the margin. */
  seedsFor: 'effect' | 'observed' | 'margin' | undefined;
  /** Why the verdict, in words (printed with the claim). */
  reason: string;
}

const fmt3 = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;
const fmtLevel = (a: number) => (a >= 0.001 ? String(Number(a.toPrecision(3))) : a.toExponential(1));

/**
 * The verdict of a claim from its paired improvements and its family-adjusted p-value.
 *
 * `better` (A improves on B): holds when p < alpha and the mean improvement Δ > 0. Otherwise, with the minimum
 * detectable difference MDD (paired t, 80% power, two-sided, at alpha/family):
 * - Δ < 0 with p < alpha (significantly the other way): does not hold;
 * - with a stated effect e: inconclusive when MDD > e (the experiment could not have detected the paper's effect),
 *   else does not hold;
 * - without one: does not hold when Δ ≤ −MDD/2 (worse by at least half of what the experiment could detect),
 *   else inconclusive (in particular every non-significant Δ > 0).
 * `notWorse` (A not worse than B by more than margin m): holds when p < alpha. Otherwise it does not hold when the
 * (1 − alpha) CI of Δ lies below −m, or when the experiment could have shown non-inferiority of an equal arm
 * (one-sided MDD at alpha/(2·family) ≤ m); else inconclusive.
 */
export function judgeClaim(e: ClaimEvidence): ClaimJudgement {
  const d = finite(e.improvements);
  const n = d.length;
  const m = mean(d) ?? NaN;
  const sd = std(d) ?? NaN;
  const dz = cohenDz(d);
  const power = e.power ?? 0.8;
  const powerAlpha = e.alpha / Math.max(1, e.family);
  const minSeeds = (level: number) => Math.max(2, e.minSeeds?.(level) ?? 2);
  const significant = e.p < e.alpha;
  const judged = (verdict: ClaimVerdict, extra: Partial<ClaimJudgement> & { reason: string }): ClaimJudgement => ({
    verdict, n, meanImprovement: m, sd, dz, powerAlpha, power, mdd: undefined, seedsNeeded: undefined, seedsFor: undefined, ...extra,
  });
  const level = `${Math.round(power * 100)}% power, α = ${fmtLevel(powerAlpha)}`;

  if (e.kind === 'notWorse') {
    const margin = e.margin ?? 0;
    const nlevel = powerAlpha / 2;
    const mdd = minimumDetectableDifference(n, sd, { alpha: nlevel, sides: 1, power });
    const seeds = sd === 0 ? 2 : Math.max(minSeeds(nlevel), seedsNeeded(margin / sd, { alpha: nlevel, sides: 1, power }));
    const extra = { mdd, seedsNeeded: seeds, seedsFor: 'margin' as const };
    if (significant) return judged('holds', { ...extra, reason: '' });
    const ci = confidenceInterval(d, 1 - e.alpha);
    if (ci && ci[1] < -margin) {
      return judged('does not hold', { ...extra, reason: `worse than −${margin} beyond its ${Math.round(100 * (1 - e.alpha))}% CI` });
    }
    const what = `MDD ${mdd === undefined ? '–' : mdd.toFixed(3)} for showing non-inferiority (${Math.round(power * 100)}% power, one-sided α = ${fmtLevel(nlevel)})`;
    if (mdd !== undefined && mdd <= margin) return judged('does not hold', { ...extra, reason: `${what} ≤ margin ${margin}` });
    return judged('inconclusive', {
      ...extra,
      reason: `${what} > margin ${margin}: an equal arm could not have been shown non-inferior; ${seedsText(seeds)} would`,
    });
  }

  // Identical arms: the MDD would be 0 and "within half the MDD of zero" would read as evidence against the claim.
  if (n >= 2 && d.every((x) => x === 0)) {
    return judged('inconclusive', {
      reason: 'every paired difference is 0: the two arms scored the same on every seed (often a sign that neither trained); there is no spread to test against',
    });
  }
  const mdd = minimumDetectableDifference(n, sd, { alpha: powerAlpha, power });
  if (significant && m > 0) return judged('holds', { mdd, reason: '' });
  const mddText = `MDD ${mdd === undefined ? '–' : mdd.toFixed(3)} (${level})`;
  if (e.effect !== undefined) {
    const seeds = sd === 0 ? 2 : Math.max(minSeeds(powerAlpha), seedsNeeded(e.effect / sd, { alpha: powerAlpha, power }));
    const extra = { mdd, seedsNeeded: seeds, seedsFor: 'effect' as const };
    if (significant && m < 0) return judged('does not hold', { ...extra, reason: 'significantly the other way' });
    if (mdd !== undefined && mdd > e.effect) {
      return judged('inconclusive', {
        ...extra, reason: `${mddText} > the paper's ${fmt3(e.effect)}: could not have detected it; ${seedsText(seeds)} would`,
      });
    }
    return judged('does not hold', { ...extra, reason: `${mddText} ≤ the paper's ${fmt3(e.effect)}: it would have been detected` });
  }
  if (significant && m < 0) return judged('does not hold', { mdd, reason: 'significantly the other way' });
  if (mdd !== undefined && m <= -mdd / 2) {
    return judged('does not hold', { mdd, reason: `worse by at least half the ${mddText}` });
  }
  if (m > 0) {
    const seeds = Math.max(minSeeds(powerAlpha), seedsNeeded(m / sd, { alpha: powerAlpha, power }));
    return judged('inconclusive', {
      mdd, seedsNeeded: seeds, seedsFor: 'observed', reason: `${mddText} > the observed improvement ${fmt3(m)}; ${seedsText(seeds)} would detect it`,
    });
  }
  return judged('inconclusive', { mdd, reason: `the observed improvement ${fmt3(m)} is within half the ${mddText} of zero` });
}

function seedsText(n: number): string {
  return Number.isFinite(n) ? `${n} seeds` : `more than ${MAX_SEEDS} seeds`;
}
