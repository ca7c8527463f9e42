/**
 * Checking a paper's claims against run records. A claim compares two arms of the same (dataset, noise) cell on one
 * metric, paired over matched seeds:
 *
 *   better: A, than: B     holds when A improves on B (higher accuracy; lower gap/NLL/ECE/cosine) and the paired
 *                          test's two-sided p < alpha; "does not hold" otherwise.
 *   notWorse: A, than: B   holds when the 95% CI (Student t) of A's paired improvement over B lies above −margin.
 *
 * "not enough runs" when fewer than 2 seed-matched pairs exist, or when the chosen test cannot reach alpha with this
 * many pairs (exact Wilcoxon: smallest p is 2/2^n, so n ≥ 6 pairs at alpha = 0.05).
 */
import type { Claim, ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { claimValue, higherIsBetter, noiseInfo } from './fields';
import { metricTitle } from './settings';
import { confidenceInterval, pairedDifferences, pairedTTest, wilcoxonSignedRank } from './stats';
import { groupRecords, matchBySeed, type Group } from './summary';

export type Verdict = 'holds' | 'does not hold' | 'not enough runs' | 'no matching runs';

export interface ClaimResult {
  claim: Claim;
  verdict: Verdict;
  experiment?: string;
  dataset?: string;
  noise?: string;
  /** Mean paired difference A − B in the metric's units (accuracy as a fraction). */
  delta?: number;
  ci95?: [number, number];
  p?: number;
  test: 'paired-t' | 'wilcoxon';
  pairs: number;
  text: string;
}

/** Whether a run (its noise setting as labelled in the tables) is the claim's noise setting. */
export function noiseMatches(r: RunRecord, label: string, noise: Claim['noise']): boolean {
  if (noise === undefined) return true;
  if (typeof noise === 'string') return label === noise;
  const info = noiseInfo(r);
  return info.rate !== undefined && Math.abs(info.rate - noise) < 1e-9;
}

function describeNoise(g: Group): string {
  const info = noiseInfo(g.runs[0]);
  if (info.rate === 0 || g.noise === 'none') return 'clean data';
  if (info.rate === undefined) return `noise ${g.noise}`;
  const pct = `${Math.round(info.rate * 1000) / 10}%`;
  return info.type && info.type !== g.noise ? `${pct} ${info.type} noise` : `${pct} noise`;
}

const signed = (v: number, digits = 3) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
const fmtP = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

export function evaluateClaims(records: RunRecord[], settings: ReportSettings): ClaimResult[] {
  // Ensemble claims need the members' stored logits: src/report/ensembles.ts evaluates them.
  return settings.claims.filter((c) => c.kind !== 'ensemble').flatMap((c) => evaluateClaim(records, c, settings));
}

/** One result per (experiment, dataset, noise) cell where both arms exist; one "no matching runs" result otherwise. */
export function evaluateClaim(records: RunRecord[], claim: Claim, settings: ReportSettings): ClaimResult[] {
  const groups = groupRecords(records);
  const test = settings.test;
  const metricName = metricTitle(claim.metric, settings.k);
  const head = claim.kind === 'better'
    ? `${claim.method} ${higherIsBetter(claim.metric) ? '>' : '<'} ${claim.than}`
    : `${claim.method} ≥ ${claim.than} − ${claim.margin}`;
  const candidates = groups.filter((g) => g.method === claim.method && noiseMatches(g.runs[0], g.noise, claim.noise) && (!claim.dataset || g.dataset === claim.dataset));
  const out: ClaimResult[] = [];
  const multiDataset = new Set(candidates.map((g) => g.dataset)).size > 1 || !!claim.dataset;
  const multiExperiment = new Set(candidates.map((g) => g.experiment)).size > 1;
  for (const a of candidates) {
    const b = groups.find((g) => g.method === claim.than && g.block === a.block);
    if (!b) continue;
    const where = `${multiExperiment ? `${a.experiment}, ` : ''}${multiDataset ? `${a.dataset}, ` : ''}${describeNoise(a)}`;
    const label = `${head}, ${metricName}, ${where}`;
    const [xa, xb] = matchBySeed(a.runs, b.runs, (r) => claimValue(r, claim.metric, settings.k));
    const d = pairedDifferences(xa, xb);
    const base: Omit<ClaimResult, 'verdict' | 'text'> = { claim, experiment: a.experiment, dataset: a.dataset, noise: a.noise, test, pairs: d.length };
    const minP = test === 'wilcoxon' ? 2 / 2 ** d.length : 0;
    if (d.length < 2 || (claim.kind === 'better' && minP >= settings.alpha)) {
      const why = d.length < 2 ? `${d.length} seed-matched pair${d.length === 1 ? '' : 's'}` : `${d.length} pairs: the exact Wilcoxon test cannot reach p < ${settings.alpha} with fewer than ${Math.ceil(Math.log2(2 / settings.alpha) + 1e-9)}`;
      out.push({ ...base, verdict: 'not enough runs', text: `${label}: ${why} — not enough runs` });
      continue;
    }
    // Improvement: positive when A is better, whatever the metric's direction.
    const sign = higherIsBetter(claim.metric) ? 1 : -1;
    const delta = d.reduce((s, x) => s + x, 0) / d.length;
    const ci = confidenceInterval(d)!;
    if (claim.kind === 'better') {
      const r = test === 'wilcoxon' ? wilcoxonSignedRank(xa, xb) : pairedTTest(xa, xb);
      const p = r?.p ?? 1;
      const holds = sign * delta > 0 && p < settings.alpha;
      const verdict: Verdict = holds ? 'holds' : 'does not hold';
      out.push({
        ...base, verdict, delta, ci95: ci, p,
        text: `${label}: ${signed(delta)}, ${fmtP(p)} (${test === 'wilcoxon' ? 'exact Wilcoxon' : 'paired t'}), ${d.length} seeds — ${verdict}`,
      });
    } else {
      const improvementLow = sign > 0 ? ci[0] : -ci[1];
      const holds = improvementLow > -claim.margin;
      const verdict: Verdict = holds ? 'holds' : 'does not hold';
      out.push({
        ...base, verdict, delta, ci95: ci,
        text: `${label}: ${signed(delta)} (95% CI ${signed(ci[0])} to ${signed(ci[1])}), ${d.length} seeds — ${verdict}`,
      });
    }
  }
  if (!out.length) {
    const where = [claim.dataset, claim.noise === undefined ? undefined : typeof claim.noise === 'number' ? `noise rate ${claim.noise}` : `noise ${claim.noise}`].filter(Boolean).join(', ');
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
  lines.push(`  ${count('holds')} hold, ${count('does not hold')} do not hold, ${count('not enough runs') + count('no matching runs')} without enough runs.`);
  return `${lines.join('\n')}\n`;
}
