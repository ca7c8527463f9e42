/**
 * The ensemble report: members (runs with `spec.member`) grouped by ensemble (their cell and seed, src/core/cell.ts),
 * their stored test logits under the group, and accuracy / OSP / divergence of the ensemble versus its size (bootstrap
 * subsets) next to the mean member: `ensembles.csv` and `plots/equivariance-*.svg`. Pure: the logits come from the
 * `OrbitReader` the caller passes (src/report/write.ts reads them from the run directories).
 */
import { NO_AXES, type Axes } from '../core/axes';
import { blockKey, cellOf, ensembleKey } from '../core/cell';
import type { Claim } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { partition } from '../util/partition';
import { slug } from '../util/slug';
import { axisCell } from './axes';
import { noiseMatches, whereMatches, type ClaimResult } from './claims';
import { ensembleLogits, ensembleVersusSize, equivarianceMetrics, type EquivarianceMetrics, type OrbitLogits } from './equivariance';
import { mean, pairedTTest } from './stats';
import { ReportCache } from './memo';
import { lineChart, type Series } from './svg';

export const ENSEMBLE_COLUMNS = [
  'experiment', 'dataset', 'noise', 'method', 'seed', 'group', 'members', 'size', 'bootstraps',
  'ensemble_acc', 'ensemble_osp', 'ensemble_divergence', 'member_acc', 'member_osp', 'member_divergence',
] as const;
/**
 * A row of ensembles.csv; `settings` (the cell's model/training axis values as text, not a column) keeps the cells of
 * different axis values apart in the plots.
 */
export type EnsembleRow = Record<(typeof ENSEMBLE_COLUMNS)[number], string | number> & Record<string, string | number | null>;

/** The columns of ensembles.csv: the sweep's axis columns after `method` when it has axes. */
export function ensembleColumns(axes: Axes): string[] {
  const at = ENSEMBLE_COLUMNS.indexOf('method') + 1;
  return [...ENSEMBLE_COLUMNS.slice(0, at), ...axes.columns, ...ENSEMBLE_COLUMNS.slice(at)];
}

/** A member's test logits under every group element and the test labels, or undefined when they cannot be read. */
export type OrbitReader = (member: RunRecord) => { orbit: OrbitLogits; labels: Int32Array } | undefined;

/** Complete members with stored logits, grouped by ensemble (cell and seed), members in index order. */
function memberGroups(records: RunRecord[], axes: Axes): RunRecord[][] {
  const members = records.filter((r) => r.spec.member && r.status === 'ok' && r.orbit);
  return [...partition(members, (r) => ensembleKey(r.spec, axes)).values()].map((g) => g.sort((a, b) => a.spec.member!.index - b.spec.member!.index));
}

/** The full ensemble of one cell and seed, and each member on its own. */
export interface EnsembleGroup {
  experiment: string;
  /** The dataset label (src/core/cell.ts). */
  dataset: string;
  noise: string;
  /** The arm as labelled; `methodName` the entry's name. */
  method: string;
  methodName: string;
  seed: string;
  /** The first member's record (noise settings for claims). */
  record: RunRecord;
  full: EquivarianceMetrics;
  members: EquivarianceMetrics[];
}

export interface EnsembleResult {
  rows: EnsembleRow[];
  group: EnsembleGroup | undefined;
  notes: string[];
}

/** Rows of ensembles.csv, the groups' full-ensemble metrics, and notes (members whose logits could not be read). */
/**
 * Rows of ensembles.csv, the groups' full-ensemble metrics, and notes (members whose logits could not be read). With
 * the sweep's cache, an ensemble's logits are read and its bootstraps drawn again only when its members changed.
 */
export function ensembleRows(
  records: RunRecord[],
  readOrbit: OrbitReader,
  cache = new ReportCache(),
  bootstraps = 30,
  axes: Axes = NO_AXES,
): { rows: EnsembleRow[]; groups: EnsembleGroup[]; notes: string[] } {
  const rows: EnsembleRow[] = [];
  const groups: EnsembleGroup[] = [];
  const notes: string[] = [];
  for (const members of memberGroups(records, axes)) {
    const key = ensembleKey(members[0].spec, axes);
    const result = cache.memo(`ensemble ${key}`, [bootstraps, axes.columns.join(), ...members], () => ensembleGroup(members, readOrbit, bootstraps, axes));
    rows.push(...result.rows);
    if (result.group) groups.push(result.group);
    notes.push(...result.notes);
  }
  return { rows, groups, notes };
}

/** One ensemble's members (in index order): their stored logits, the ensemble vs size, the full ensemble. */
function ensembleGroup(members: RunRecord[], readOrbit: OrbitReader, bootstraps: number, axes: Axes): EnsembleResult {
  const rows: EnsembleRow[] = [];
  const notes: string[] = [];
  const orbits: OrbitLogits[] = [];
  let labels: Int32Array | undefined;
  let classes = 0;
  for (const r of members) {
    const read = readOrbit(r);
    if (!read) {
      notes.push(`ensemble: no readable ${r.orbit!.file} for ${r.id}; member left out`);
      continue;
    }
    orbits.push(read.orbit);
    labels = read.labels;
    classes = r.orbit!.classes;
  }
  if (!orbits.length || !labels) return { rows, group: undefined, notes };
  const { experiment, dataset, noise, method, settings } = cellOf(members[0].spec, axes);
  const methodName = members[0].spec.method.name;
  const axisValues = Object.fromEntries(axes.columns.map((c) => [c, axisCell(members[0], c)]));
  const seed = String(members[0].spec.seed);
  const group = members[0].orbit!.group;
  const own = orbits.map((o) => equivarianceMetrics(o, labels!, classes));
  for (const s of ensembleVersusSize(orbits, labels, classes, bootstraps, 1, own)) {
    rows.push({
      experiment, dataset, noise, method, ...axisValues, ...(settings ? { settings: JSON.stringify(settings) } : {}),
      seed, group, members: orbits.length, size: s.size, bootstraps: s.bootstraps,
      ensemble_acc: s.ensemble.accuracy, ensemble_osp: s.ensemble.osp, ensemble_divergence: s.ensemble.divergence,
      member_acc: s.member.accuracy, member_osp: s.member.osp, member_divergence: s.member.divergence,
    });
  }
  return {
    rows,
    group: { experiment, dataset, noise, method, methodName, seed, record: members[0], full: equivarianceMetrics(ensembleLogits(orbits), labels, classes), members: own },
    notes,
  };
}

/** One plot per block (dataset, noise): divergence versus ensemble size, ensemble and mean member, a line pair per method. */
export function equivariancePlots(rows: EnsembleRow[], axes: Axes = NO_AXES): { file: string; svg: string }[] {
  const plots: { file: string; svg: string }[] = [];
  const settingsOf = (r: EnsembleRow): [string, string][] | undefined => (typeof r.settings === 'string' ? JSON.parse(r.settings) as [string, string][] : undefined);
  const blockOf = (r: EnsembleRow) => blockKey({ experiment: String(r.experiment), dataset: String(r.dataset), noise: String(r.noise), settings: settingsOf(r) });
  const suffix = (r: EnsembleRow) => (axes.settings.length ? (settingsOf(r) ?? []).map(([k, v]) => `-${slug(k.slice(k.indexOf('.') + 1))}${slug(v)}`).join('') : '');
  const multi = new Set(rows.map((r) => r.experiment)).size > 1;
  for (const rs of partition(rows, blockOf).values()) {
    const dataset = String(rs[0].dataset);
    const noise = String(rs[0].noise);
    const series: Series[] = [];
    const byMethod = partition(rs, (r) => `${r.method} (seed ${r.seed})`);
    const single = byMethod.size === 1;
    for (const [name, mr] of byMethod) {
      const tag = single ? '' : `${name}: `;
      series.push({ name: `${tag}ensemble`, points: mr.map((r) => ({ x: Number(r.size), y: Number(r.ensemble_divergence) })) });
      series.push({ name: `${tag}mean member`, dashed: true, points: mr.map((r) => ({ x: Number(r.size), y: Number(r.member_divergence) })) });
    }
    const sizes = [...new Set(rs.map((r) => Number(r.size)))].sort((a, b) => a - b);
    plots.push({
      file: `${multi ? `${slug(String(rs[0].experiment))}-` : ''}equivariance-${slug(dataset)}-${slug(noise)}${suffix(rs[0])}.svg`,
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
    const matches = groups.filter((g) => (g.method === claim.method || g.methodName === claim.method) && (!claim.dataset || g.dataset === claim.dataset)
      && noiseMatches(g.record, g.noise, claim.noise) && whereMatches(g.record, claim.where));
    for (const g of matches) {
      const values = g.members.map((m) => m[metric]);
      const ens = g.full[metric];
      const where = `${g.dataset}${g.noise === 'none' ? '' : `, noise ${g.noise}`}, seed ${g.seed}`;
      const test = values.length >= 2 ? pairedTTest(values, values.map(() => ens)) : undefined;
      const memberMean = mean(values) ?? NaN;
      const better = lowerIsBetter ? ens < memberMean : ens > memberMean;
      const verdict = !test ? 'not enough runs' : better && test.p < alpha ? 'holds' : 'does not hold';
      const label = `${head}, ${where}`;
      const detail = `ensemble ${ens.toFixed(3)} vs members ${memberMean.toFixed(3)}`;
      out.push({
        claim, verdict, experiment: g.experiment, dataset: g.dataset, noise: g.noise, delta: ens - memberMean, p: test?.p, test: 'paired-t',
        pairs: values.length, label, detail,
        // Improvement of the ensemble over each member, positive in the claimed direction (evaluateClaims judges it).
        improvements: test ? values.map((v) => (lowerIsBetter ? v - ens : ens - v)) : undefined,
        text: `${label}: ${detail} (${values.length} members${test ? `, one-sample t p ${test.p < 0.001 ? '< 0.001' : `= ${test.p.toFixed(3)}`}` : ''}) — ${verdict}`,
      });
    }
    if (!matches.length) {
      out.push({ claim, verdict: 'no matching runs', test: 'paired-t', pairs: 0, text: `${head}: no complete ensemble members with stored logits — not enough runs` });
    }
  }
  return out;
}
