/**
 * The ensemble report: members (runs with `spec.member`) grouped by (experiment, dataset, noise, method, seed), their
 * stored test logits under the group read back, and accuracy / OSP / divergence of the ensemble versus its size
 * (bootstrap subsets) next to the mean member: `ensembles.csv` and `plots/equivariance-*.svg`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readOrbitLogits, type RunRecord } from '../run/record';
import type { ClaimResult } from './claims';
import { ensembleLogits, ensembleVersusSize, equivarianceMetrics, type EquivarianceMetrics, type OrbitLogits } from './equivariance';
import type { Claim } from './settings';
import { mean, pairedTTest } from './stats';
import { lineChart, type Series } from './svg';

export const ENSEMBLE_COLUMNS = [
  'experiment', 'dataset', 'noise', 'method', 'seed', 'group', 'members', 'size', 'bootstraps',
  'ensemble_acc', 'ensemble_osp', 'ensemble_divergence', 'member_acc', 'member_osp', 'member_divergence',
] as const;
export type EnsembleRow = Record<(typeof ENSEMBLE_COLUMNS)[number], string | number>;

interface MemberGroup {
  key: string[];
  group: string;
  records: RunRecord[];
}

function memberGroups(records: RunRecord[]): MemberGroup[] {
  const groups = new Map<string, MemberGroup>();
  for (const r of records) {
    if (!r.spec.member || r.status !== 'ok' || !r.orbit) continue;
    const key = [r.spec.experiment, r.spec.dataset.name, r.spec.noise.label, r.spec.method.name, String(r.spec.seed)];
    const k = JSON.stringify(key);
    const g = groups.get(k) ?? { key, group: r.orbit.group, records: [] };
    g.records.push(r);
    groups.set(k, g);
  }
  return [...groups.values()];
}

/** The full ensemble of one (experiment, dataset, noise, method, seed) and each member on its own. */
export interface EnsembleGroup {
  experiment: string;
  dataset: string;
  noise: string;
  method: string;
  seed: string;
  full: EquivarianceMetrics;
  members: EquivarianceMetrics[];
}

/** Rows of ensembles.csv, the groups' full-ensemble metrics, and notes (members whose logits could not be read). */
export function ensembleRows(records: RunRecord[], sourceDirs: string[], bootstraps = 30): { rows: EnsembleRow[]; groups: EnsembleGroup[]; notes: string[] } {
  const rows: EnsembleRow[] = [];
  const groups: EnsembleGroup[] = [];
  const notes: string[] = [];
  for (const g of memberGroups(records)) {
    const orbits: OrbitLogits[] = [];
    let labels: Int32Array | undefined;
    let classes = 0;
    for (const r of g.records.sort((a, b) => (a.spec.member!.index - b.spec.member!.index))) {
      const dir = sourceDirs.map((d) => join(d, 'runs', r.id)).find((d) => existsSync(join(d, r.orbit!.file)));
      const read = dir ? readOrbitLogits(dir, r.orbit!) : undefined;
      if (!read) {
        notes.push(`ensemble: no readable ${r.orbit!.file} for ${r.id}; member left out`);
        continue;
      }
      orbits.push(read.orbit);
      labels = read.labels;
      classes = r.orbit!.classes;
    }
    if (!orbits.length || !labels) continue;
    const [experiment, dataset, noise, method, seed] = g.key;
    groups.push({
      experiment, dataset, noise, method, seed,
      full: equivarianceMetrics(ensembleLogits(orbits), labels, classes),
      members: orbits.map((o) => equivarianceMetrics(o, labels!, classes)),
    });
    for (const s of ensembleVersusSize(orbits, labels, classes, bootstraps, 1)) {
      rows.push({
        experiment, dataset, noise, method, seed, group: g.group, members: orbits.length, size: s.size, bootstraps: s.bootstraps,
        ensemble_acc: s.ensemble.accuracy, ensemble_osp: s.ensemble.osp, ensemble_divergence: s.ensemble.divergence,
        member_acc: s.member.accuracy, member_osp: s.member.osp, member_divergence: s.member.divergence,
      });
    }
  }
  return { rows, groups, notes };
}

/** One plot per (dataset, noise): divergence versus ensemble size, ensemble and mean member, a line pair per method. */
export function equivariancePlots(rows: EnsembleRow[]): { file: string; svg: string }[] {
  const byPlot = new Map<string, EnsembleRow[]>();
  for (const r of rows) {
    const k = `${r.dataset}|${r.noise}`;
    byPlot.set(k, [...(byPlot.get(k) ?? []), r]);
  }
  const plots: { file: string; svg: string }[] = [];
  for (const [k, rs] of byPlot) {
    const [dataset, noise] = k.split('|');
    const series: Series[] = [];
    const byMethod = new Map<string, EnsembleRow[]>();
    for (const r of rs) byMethod.set(`${r.method} (seed ${r.seed})`, [...(byMethod.get(`${r.method} (seed ${r.seed})`) ?? []), r]);
    const single = byMethod.size === 1;
    for (const [name, mr] of byMethod) {
      const tag = single ? '' : `${name}: `;
      series.push({ name: `${tag}ensemble`, points: mr.map((r) => ({ x: Number(r.size), y: Number(r.ensemble_divergence) })) });
      series.push({ name: `${tag}mean member`, dashed: true, points: mr.map((r) => ({ x: Number(r.size), y: Number(r.member_divergence) })) });
    }
    const sizes = [...new Set(rs.map((r) => Number(r.size)))].sort((a, b) => a - b);
    plots.push({
      file: `equivariance-${dataset.replace(/[^A-Za-z0-9._+-]+/g, '_')}-${noise.replace(/[^A-Za-z0-9._+-]+/g, '_')}.svg`,
      svg: lineChart({
        title: `Invariance error vs ensemble size — ${dataset}${noise === 'none' ? '' : `, noise ${noise}`}${byMethod.size === 1 ? ` (${[...byMethod.keys()][0]})` : ''}`,
        subtitle: `group ${rs[0].group}; divergence = symmetric KL between p(x) and p(gx), mean over test inputs and g ∈ G; ${rs[0].bootstraps} bootstrap ensembles per size`,
        xLabel: 'ensemble size (members)',
        yLabel: 'divergence (nats)',
        series,
        xTicks: sizes,
      }),
    });
  }
  return plots;
}

/**
 * `ensembleInvariant` claims: the full ensemble's divergence (OSP) against its members' own values, by a one-sample
 * t-test over the members (two-sided); holds when the ensemble is better and p < alpha.
 */
export function evaluateEnsembleClaims(groups: EnsembleGroup[], claims: Claim[], alpha: number): ClaimResult[] {
  const out: ClaimResult[] = [];
  for (const claim of claims.filter((c) => c.kind === 'ensemble')) {
    const metric = claim.ensembleMetric ?? 'divergence';
    const lowerIsBetter = metric === 'divergence';
    const head = `ensemble of ${claim.method} ${lowerIsBetter ? '<' : '>'} its members, ${metric === 'divergence' ? 'invariance divergence' : 'orbit same predictions'}`;
    const matches = groups.filter((g) => g.method === claim.method && (!claim.dataset || g.dataset === claim.dataset)
      && (claim.noise === undefined || (typeof claim.noise === 'number' ? (claim.noise === 0 ? g.noise === 'none' : g.noise.endsWith(String(claim.noise))) : g.noise === claim.noise)));
    for (const g of matches) {
      const values = g.members.map((m) => m[metric]);
      const ens = g.full[metric];
      const where = `${g.dataset}${g.noise === 'none' ? '' : `, noise ${g.noise}`}, seed ${g.seed}`;
      const test = values.length >= 2 ? pairedTTest(values, values.map(() => ens)) : undefined;
      const memberMean = mean(values) ?? NaN;
      const better = lowerIsBetter ? ens < memberMean : ens > memberMean;
      const verdict = !test ? 'not enough runs' : better && test.p < alpha ? 'holds' : 'does not hold';
      out.push({
        claim, verdict, experiment: g.experiment, dataset: g.dataset, noise: g.noise, delta: ens - memberMean, p: test?.p, test: 'paired-t',
        pairs: values.length,
        text: `${head}, ${where}: ensemble ${ens.toFixed(3)} vs members ${memberMean.toFixed(3)} (${values.length} members${test ? `, one-sample t p ${test.p < 0.001 ? '< 0.001' : `= ${test.p.toFixed(3)}`}` : ''}) — ${verdict}`,
      });
    }
    if (!matches.length) {
      out.push({ claim, verdict: 'no matching runs', test: 'paired-t', pairs: 0, text: `${head}: no complete ensemble members with stored logits — not enough runs` });
    }
  }
  return out;
}
