/**
 * Checking a paper's claims against run records. A claim compares two arms of the same (dataset, noise) cell on one
 * metric, paired over matched seeds:
 *
 *   better: A, than: B     A improves on B (higher accuracy; lower gap/NLL/ECE/cosine): paired t-test (or exact
 *                          Wilcoxon), two-sided.
 *   notWorse: A, than: B   A is not worse than B by more than margin: one-sided t-test of non-inferiority, reported
 *                          so that "p < alpha" means the (1 − alpha) CI of A's improvement lies above −margin.
 *
 * The claims of one experiment (one config) are one family: their p-values are Holm-adjusted together, and a claim
 * holds when its adjusted p < alpha. A claim that does not hold is "inconclusive" rather than "does not hold" when
 * the experiment lacked the power to see it (stats.ts: judgeClaim), with the minimum detectable difference and the
 * seeds that would be needed.
 *
 * "not enough runs" when fewer than 2 seed-matched pairs exist, or when the chosen test cannot reach alpha with this
 * many pairs (exact Wilcoxon: smallest p is 2/2^n, so n ≥ 6 pairs at alpha = 0.05).
 */
import { isModelOrTrainKey, runSetting, type Axes } from '../core/axes';
import type { Claim, ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { reportAxes } from './axes';
import { claimValue, higherIsBetter, noiseInfo } from './fields';
import { metricTitle } from './settings';
import { confidenceInterval, holmAdjust, judgeClaim, nonInferiorityP, pairedDifferences, pairedTTest, wilcoxonSignedRank, type ClaimJudgement } from './stats';
import { groupRecords, matchBySeed, type Group } from './summary';

export type Verdict = 'holds' | 'does not hold' | 'inconclusive' | 'not enough runs' | 'no matching runs';

export interface ClaimResult {
  claim: Claim;
  verdict: Verdict;
  experiment?: string;
  dataset?: string;
  noise?: string;
  /** Mean paired difference A − B in the metric's units (accuracy as a fraction). */
  delta?: number;
  ci95?: [number, number];
  /** The claim's own p-value (two-sided; notWorse: the doubled one-sided non-inferiority p). */
  p?: number;
  /** p after Holm's adjustment over the claims of its experiment that have a p-value. */
  pAdjusted?: number;
  /** How many claims with a p-value the family (the experiment's claims) has. */
  family?: number;
  test: 'paired-t' | 'wilcoxon';
  pairs: number;
  /** Paired improvements of the claimed arm over the other (positive in the claimed direction). */
  improvements?: number[];
  /**
   * −1 when the printed difference is A − B of a lower-is-better metric (ECE, NLL), so that an improvement is a
   * negative difference; the printed d_z then takes the difference's sign. Unset (+1) otherwise.
   */
  direction?: 1 | -1;
  /** Effect size, power and the reason for the verdict (claims with a p-value). */
  judgement?: ClaimJudgement;
  /** "A > B, metric, where" and the numbers, from which `text` is composed. */
  label?: string;
  detail?: string;
  text: string;
}

/** Whether a run (its noise setting as labelled in the tables) is the claim's noise setting. */
export function noiseMatches(r: RunRecord, label: string, noise: Claim['noise']): boolean {
  if (noise === undefined) return true;
  if (typeof noise === 'string') return label === noise;
  const info = noiseInfo(r);
  return info.rate !== undefined && Math.abs(info.rate - noise) < 1e-9;
}

/**
 * Whether a run has the claim's `where` settings. A method option the run's method does not have (the baseline has no
 * `neutreno.lambda`) does not constrain it, so `where: {neutreno.lambda: 0.6}` picks that arm and leaves its partner.
 */
export function whereMatches(r: RunRecord, where: Claim['where']): boolean {
  return Object.entries(where ?? {}).every(([key, value]) => {
    const v = runSetting(r.spec, key);
    if (v === undefined) return !isModelOrTrainKey(key);
    return JSON.stringify(v) === JSON.stringify(value);
  });
}

/** Whether a cell is the arm a claim names: by its label (`neutreno[lambda=0.6]`) or its entry's name. */
const isArm = (g: Group, name: string) => g.method === name || g.methodName === name;

function describeNoise(g: Group): string {
  const info = noiseInfo(g.runs[0]);
  if (info.rate === 0 || g.noise === 'none') return 'clean data';
  if (info.rate === undefined) return `noise ${g.noise}`;
  const pct = `${Math.round(info.rate * 1000) / 10}%`;
  return info.type && info.type !== g.noise ? `${pct} ${info.type} noise` : `${pct} noise`;
}

const signed = (v: number, digits = 3) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
const fmtP = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/**
 * Every claim of the settings, judged as families (one per experiment). Ensemble claims need the members' stored
 * logits: src/report/ensembles.ts evaluates them, and they join their experiment's family through `extra`.
 */
export function evaluateClaims(records: RunRecord[], settings: ReportSettings, extra: ClaimResult[] = [], axes: Axes = reportAxes(records, settings)): ClaimResult[] {
  const own = settings.claims.filter((c) => c.kind !== 'ensemble').flatMap((c) => evaluateClaim(records, c, settings, axes));
  return judgeFamilies([...own, ...extra], settings);
}

/**
 * Holm-adjust the p-values of each experiment's claims together, then decide every claim with a p-value (holds /
 * does not hold / inconclusive, stats.ts: judgeClaim) and write its text.
 */
export function judgeFamilies(results: ClaimResult[], settings: ReportSettings): ClaimResult[] {
  const out = results.map((r) => ({ ...r }));
  const families = new Map<string, number[]>();
  out.forEach((r, i) => {
    if (r.p === undefined || !r.improvements) return;
    const key = r.experiment ?? '';
    families.set(key, [...(families.get(key) ?? []), i]);
  });
  for (const idx of families.values()) {
    const adjusted = holmAdjust(idx.map((i) => out[i].p));
    idx.forEach((i, j) => {
      const r = out[i];
      r.pAdjusted = adjusted[j];
      r.family = idx.length;
      r.judgement = judgeClaim({
        kind: r.claim.kind === 'notWorse' ? 'notWorse' : 'better',
        improvements: r.improvements!,
        p: r.pAdjusted!,
        alpha: settings.alpha,
        family: idx.length,
        effect: r.claim.effect,
        margin: r.claim.margin,
        minSeeds: r.test === 'wilcoxon' ? (level) => Math.ceil(Math.log2(2 / level) + 1e-9) : undefined,
      });
      r.verdict = r.judgement.verdict;
      r.text = claimText(r);
    });
  }
  return out;
}

const fmtDz = (dz: number | undefined) => (dz === undefined ? '–' : Number.isFinite(dz) ? dz.toFixed(2).replace(/^-/, '−') : dz > 0 ? '∞' : '−∞');

/** A claim's d_z with the sign of its printed difference A − B (the judgement's d_z is of the improvement). */
export function printedDz(r: ClaimResult): number | undefined {
  const dz = r.judgement?.dz;
  return dz === undefined ? undefined : (r.direction ?? 1) * dz;
}

/** The printed line of a judged claim: its numbers, effect size, raw and Holm p, then the verdict and why. */
export function claimText(r: ClaimResult): string {
  const j = r.judgement;
  if (!j || r.p === undefined || !r.label) return r.text;
  const testName = r.claim.kind === 'notWorse' ? 'non-inferiority t' : r.claim.kind === 'ensemble' ? 'one-sample t' : r.test === 'wilcoxon' ? 'exact Wilcoxon' : 'paired t';
  const holm = r.family && r.family > 1 ? `, Holm ${fmtP(r.pAdjusted!)} over ${r.family} claims` : '';
  const why = j.reason ? `; ${j.reason}` : '';
  return `${r.label}: ${r.detail}, d_z ${fmtDz(printedDz(r))}, ${fmtP(r.p)}${holm} (${testName}), ${r.pairs} ${r.claim.kind === 'ensemble' ? 'members' : 'seeds'}${why} — ${r.verdict}`;
}

/**
 * One result per cell of the other axes (experiment, dataset, noise, model/training values) and arm where both arms
 * exist; one "no matching runs" result otherwise.
 */
export function evaluateClaim(records: RunRecord[], claim: Claim, settings: ReportSettings, axes: Axes = reportAxes(records, settings)): ClaimResult[] {
  const groups = groupRecords(records, axes);
  const test = settings.test;
  const metricName = metricTitle(claim.metric, settings.k);
  const headOf = (a: string, b: string) => (claim.kind === 'better'
    ? `${a} ${higherIsBetter(claim.metric) ? '>' : '<'} ${b}`
    : `${a} ≥ ${b} − ${claim.margin}`);
  const head = headOf(claim.method, claim.than);
  const candidates = groups.filter((g) => isArm(g, claim.method) && noiseMatches(g.runs[0], g.noise, claim.noise) && (!claim.dataset || g.dataset === claim.dataset)
    && whereMatches(g.runs[0], claim.where));
  const out: ClaimResult[] = [];
  const multiDataset = new Set(candidates.map((g) => g.dataset)).size > 1 || !!claim.dataset;
  const multiExperiment = new Set(candidates.map((g) => g.experiment)).size > 1;
  for (const a of candidates) {
    const partners = groups.filter((g) => g !== a && isArm(g, claim.than) && g.block === a.block && whereMatches(g.runs[0], claim.where));
    if (partners.length !== 1) continue;
    const b = partners[0];
    const settingsText = (a.settings ?? []).map(([k, v]) => `, ${k} = ${v}`).join('');
    const where = `${multiExperiment ? `${a.experiment}, ` : ''}${multiDataset ? `${a.dataset}, ` : ''}${describeNoise(a)}${settingsText}`;
    const label = `${a.method === claim.method && b.method === claim.than ? head : headOf(a.method, b.method)}, ${metricName}, ${where}`;
    const [xa, xb] = matchBySeed(a.runs, b.runs, (r) => claimValue(r, claim.metric, settings.k));
    const d = pairedDifferences(xa, xb);
    // Improvement: positive when A is better, whatever the metric's direction.
    const sign = higherIsBetter(claim.metric) ? 1 : -1;
    const base: Omit<ClaimResult, 'verdict' | 'text'> = { claim, experiment: a.experiment, dataset: a.dataset, noise: a.noise, test, pairs: d.length, direction: sign };
    const minP = test === 'wilcoxon' ? 2 / 2 ** d.length : 0;
    if (d.length < 2 || (claim.kind === 'better' && minP >= settings.alpha)) {
      const why = d.length < 2 ? `${d.length} seed-matched pair${d.length === 1 ? '' : 's'}` : `${d.length} pairs: the exact Wilcoxon test cannot reach p < ${settings.alpha} with fewer than ${Math.ceil(Math.log2(2 / settings.alpha) + 1e-9)}`;
      out.push({ ...base, verdict: 'not enough runs', text: `${label}: ${why} — not enough runs` });
      continue;
    }
    const delta = d.reduce((s, x) => s + x, 0) / d.length;
    const ci = confidenceInterval(d)!;
    const improvements = d.map((x) => sign * x);
    if (claim.kind === 'better') {
      const r = test === 'wilcoxon' ? wilcoxonSignedRank(xa, xb) : pairedTTest(xa, xb);
      const p = r?.p ?? 1;
      const verdict: Verdict = sign * delta > 0 && p < settings.alpha ? 'holds' : 'does not hold';
      const detail = `${signed(delta)}`;
      out.push({
        ...base, verdict, delta, ci95: ci, p, improvements, label, detail,
        text: `${label}: ${detail}, ${fmtP(p)} (${test === 'wilcoxon' ? 'exact Wilcoxon' : 'paired t'}), ${d.length} seeds — ${verdict}`,
      });
    } else {
      const improvementLow = sign > 0 ? ci[0] : -ci[1];
      const verdict: Verdict = improvementLow > -claim.margin ? 'holds' : 'does not hold';
      const detail = `${signed(delta)} (95% CI ${signed(ci[0])} to ${signed(ci[1])})`;
      out.push({
        ...base, verdict, delta, ci95: ci, p: nonInferiorityP(improvements, claim.margin), improvements, label, detail,
        text: `${label}: ${detail}, ${d.length} seeds — ${verdict}`,
      });
    }
  }
  if (!out.length) {
    const where = [
      claim.dataset, claim.noise === undefined ? undefined : typeof claim.noise === 'number' ? `noise rate ${claim.noise}` : `noise ${claim.noise}`,
      ...Object.entries(claim.where ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ].filter(Boolean).join(', ');
    out.push({
      claim, verdict: 'no matching runs', test, pairs: 0,
      text: `${head}, ${metricName}${where ? `, ${where}` : ''}: no complete runs of both arms — not enough runs`,
    });
  }
  return out;
}

export function formatClaims(results: ClaimResult[]): string {
  if (!results.length) return '';
  const lines = ['Claims:'];
  for (const r of results) lines.push(`  ${r.text}${r.claim.note ? `  [${r.claim.note}]` : ''}`);
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  lines.push(`  ${count('holds')} hold, ${count('does not hold')} do not hold, ${count('inconclusive')} inconclusive, ${count('not enough runs') + count('no matching runs')} without enough runs.`);
  lines.push(`  ${CLAIMS_NOTE}`);
  return `${lines.join('\n')}\n`;
}

/** How claims are decided, printed under them (docs/reports.md has the long form). */
export const CLAIMS_NOTE =
  'The claims of a config are one family: Holm-adjusted p < alpha holds. Otherwise "inconclusive" when the ' +
  'experiment could not have detected the claimed effect: MDD = minimum detectable difference of the paired t-test ' +
  'at 80% power and alpha/(number of claims), from the observed SD of the paired differences (noncentral t); ' +
  'seeds = pairs that would detect it. d_z = mean/SD of the paired differences.';
