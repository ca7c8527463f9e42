/**
 * The summary row model: one row per (dataset, noise, method) [per experiment when several are merged], computed
 * from run records alone. CSV, Markdown and LaTeX are formatters of these rows (src/report/format.ts).
 *
 * Per group: n (ok runs) and n_failed; mean, std (n−1), standard error and 95% CI (Student t, n−1 df) of best-epoch
 * accuracy (`acc_*`, the foundation's name), last-epoch accuracy (`last_acc_*`) and, when chosen, the median of the
 * last k epochs (`median_last<k>_acc_*`); the best−last gap; NLL; ECE; extra numeric fields (memorisation, realised
 * noise); the last layer's token cosine similarity (over-smoothing). Against the baseline arm of the same dataset and
 * noise, on "the" accuracy statistic (report.metric): the delta of means, the number of seed-matched pairs, a paired
 * t-test and an exact Wilcoxon signed-rank p-value, each also Holm-adjusted over the comparisons against the baseline
 * within the (dataset, noise) cell; Cohen's d_z and the SD of the paired differences; the minimum detectable
 * difference at 80% power (paired t, two-sided, report.alpha) and the seeds that would detect the observed delta; and
 * the rank within the group (1 = highest).
 */
import { NO_AXES, type Axes } from '../core/axes';
import { blockKey, cellOf, keyOfCell, pairKey, type Cell as CellLabels } from '../core/cell';
import type { ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { axisCell, reportAxes } from './axes';
import { accuracyOf, extraValues, isOk, lastLayerCosine, noiseInfo } from './fields';
import { partition } from '../util/partition';
import { ReportCache } from './memo';
import { metricSlug } from './settings';
import { confidenceInterval, holmAdjust, mean, pairedDifferences, pairedPower, pairedTTest, rankValues, standardError, std, wilcoxonSignedRank, type Maybe } from './stats';

export type Cell = string | number | null;
export type SummaryRow = Record<string, Cell>;

export interface Summary {
  columns: string[];
  rows: SummaryRow[];
  settings: ReportSettings;
  /** The column stem of "the" accuracy statistic, e.g. `last_acc`. */
  metricColumn: string;
  /** Whether an `experiment` column was needed (records from several experiments). */
  multiExperiment: boolean;
  /** The sweep axes of the records: a column each after `method` (none without axes). */
  axes: Axes;
}

/** The runs of one cell (src/core/cell.ts). */
export interface Group {
  /** cellKey of the runs. */
  key: string;
  /** blockKey: the cells compared with each other (baseline, ranks). */
  block: string;
  experiment: string;
  dataset: string;
  noise: string;
  /** The arm as labelled (src/core/axes.ts armLabel). */
  method: string;
  /** The method entry's name (shared by the arms of a swept entry). */
  methodName: string;
  /** The model and training axis values of the cell ([key, text]); absent without such axes. */
  settings?: [string, string][];
  runs: RunRecord[];
}

/** Each record's cell and keys under given axes, computed once per record object and axes. */
const cells = new WeakMap<RunRecord, { axes: Axes; cell: CellLabels; key: string; block: string }>();

function cellOfRecord(r: RunRecord, axes: Axes): { cell: CellLabels; key: string; block: string } {
  let c = cells.get(r);
  if (!c || c.axes !== axes) {
    const cell = cellOf(r.spec, axes);
    c = { axes, cell, key: keyOfCell(cell), block: blockKey(cell) };
    cells.set(r, c);
  }
  return c;
}

/**
 * Group records by cell, blocks in first-appearance order (the plan's order) and cells in first-appearance order
 * within their block. `axes`: those of the whole report (default: found from these records alone).
 */
export function groupRecords(records: RunRecord[], axes: Axes = records.length ? reportAxes(records) : NO_AXES): Group[] {
  const groups = new Map<string, Group>();
  for (const r of records) {
    const { cell, key, block } = cellOfRecord(r, axes);
    let g = groups.get(key);
    if (!g) {
      g = { key, block, ...cell, methodName: r.spec.method.name, runs: [] };
      groups.set(key, g);
    }
    g.runs.push(r);
  }
  return [...partition([...groups.values()], (g) => g.block).values()].flat();
}

export function isBaseline(r: RunRecord): boolean {
  return r.spec.method.parts.every((p) => p.method === 'baseline');
}

/** The baseline group (a method made only of `baseline` parts) of the same block (experiment, dataset, noise). */
export function baselineOf(g: Group, groups: Group[]): Group | undefined {
  return groups.find((b) => b !== g && b.block === g.block && b.runs.some(isBaseline)) ?? (g.runs.some(isBaseline) ? g : undefined);
}

/** Values of `f` for the ok runs of two groups, matched by seed (and ensemble member): [a[], b[]]. */
export function matchBySeed(a: RunRecord[], b: RunRecord[], f: (r: RunRecord) => number | undefined): [Maybe[], Maybe[]] {
  const bySeed = new Map<string, RunRecord>();
  for (const r of b) if (isOk(r)) bySeed.set(pairKey(r.spec), r);
  const xa: Maybe[] = [];
  const xb: Maybe[] = [];
  for (const r of a) {
    const other = bySeed.get(pairKey(r.spec));
    if (!isOk(r) || !other) continue;
    xa.push(f(r));
    xb.push(f(other));
  }
  return [xa, xb];
}

const STAT_SUFFIXES = ['mean', 'std', 'se', 'ci95_low', 'ci95_high'] as const;

function stats(prefix: string, xs: Maybe[]): SummaryRow {
  const ci = confidenceInterval(xs);
  return {
    [`${prefix}_mean`]: mean(xs) ?? null,
    [`${prefix}_std`]: std(xs) ?? null,
    [`${prefix}_se`]: standardError(xs) ?? null,
    [`${prefix}_ci95_low`]: ci?.[0] ?? null,
    [`${prefix}_ci95_high`]: ci?.[1] ?? null,
  };
}

export function summarise(records: RunRecord[], settings: ReportSettings, cache = new ReportCache(), axes = reportAxes(records, settings, cache)): Summary {
  const { metric, k } = settings;
  const slug = metricSlug(metric, k);
  const groups = groupRecords(records, axes);
  const multiExperiment = new Set(groups.map((g) => g.experiment)).size > 1;

  const extraNames = new Set<string>();
  let hasOversmoothing = false;
  let hasNoiseRate = false;
  for (const r of records) {
    const f = cache.ofRecord(r, 'summary-columns', () => ({
      extras: isOk(r) ? [...extraValues(r).keys()] : [],
      cosine: isOk(r) && lastLayerCosine(r) !== undefined,
      rate: noiseInfo(r).rate !== undefined,
    }));
    for (const e of f.extras) extraNames.add(e);
    hasOversmoothing ||= f.cosine;
    hasNoiseRate ||= f.rate;
  }
  const extras = [...extraNames].sort();

  const columns = [...new Set([
    ...(multiExperiment ? ['experiment'] : []),
    'dataset', 'noise', 'noise_type', ...(hasNoiseRate ? ['noise_rate'] : []), 'method', ...axes.columns, 'n', 'n_failed',
    ...STAT_SUFFIXES.map((s) => `acc_${s}`),
    ...STAT_SUFFIXES.map((s) => `last_acc_${s}`),
    ...(metric === 'median-last-k' ? STAT_SUFFIXES.map((s) => `${slug}_${s}`) : []),
    'gap_mean', 'gap_std', 'test_nll_mean', 'test_nll_std', 'ece_mean', 'ece_std',
    ...extras.flatMap((e) => [`${e}_mean`, `${e}_std`]),
    ...(hasOversmoothing ? ['last_layer_cosine_mean', 'last_layer_cosine_std'] : []),
    'acc_delta_vs_baseline', 'last_acc_delta_vs_baseline',
    `${slug}_delta_vs_baseline`, 'n_pairs', `${slug}_p_paired_t`, `${slug}_p_paired_t_holm`, `${slug}_p_wilcoxon`, `${slug}_p_wilcoxon_holm`,
    `${slug}_cohen_dz`, `${slug}_diff_sd`, `${slug}_mdd80`, `${slug}_seeds80`, `${slug}_rank`,
    'samples_per_sec_mean', 'train_seconds_mean',
  ])];

  // A block's rows depend on its own runs only (and the settings and extra columns): recomputed when one changes.
  const settingsKey = JSON.stringify([metric, k, extras, axes.columns]);
  const rowOf = new Map<string, SummaryRow>();
  for (const block of partition(groups, (g) => g.block).values()) {
    const deps = [settingsKey, ...block.flatMap((g) => [g.key, ...g.runs])];
    const rows = cache.memo(`summary ${block[0].block}`, deps, () => blockRows(block, settings, extras, axes));
    block.forEach((g, i) => rowOf.set(g.key, rows[i]));
  }
  return { columns, rows: groups.map((g) => rowOf.get(g.key)!), settings, metricColumn: slug, multiExperiment, axes };
}

/** The rows of one block's groups: statistics per group, then deltas, paired tests and ranks within the block. */
function blockRows(groups: Group[], settings: ReportSettings, extras: string[], axes: Axes): SummaryRow[] {
  const { metric, k } = settings;
  const slug = metricSlug(metric, k);
  const value = (r: RunRecord) => accuracyOf(r, metric, k);
  const rows: SummaryRow[] = groups.map((g) => {
    const ok = g.runs.filter(isOk);
    const pick = (f: (r: RunRecord) => number | undefined) => ok.map(f);
    const noise = noiseInfo(g.runs[0]);
    const extraCols: SummaryRow = {};
    for (const e of extras) {
      const xs = pick((r) => extraValues(r).get(e));
      extraCols[`${e}_mean`] = mean(xs) ?? null;
      extraCols[`${e}_std`] = std(xs) ?? null;
    }
    const gap = pick((r) => r.metrics!.bestAccuracy - r.metrics!.lastAccuracy);
    const cos = pick(lastLayerCosine);
    return {
      experiment: g.experiment,
      dataset: g.dataset,
      noise: g.noise,
      noise_type: noise.type,
      noise_rate: noise.rate ?? null,
      method: g.method,
      ...Object.fromEntries(axes.columns.map((c) => [c, axisCell(g.runs[0], c)])),
      n: ok.length,
      n_failed: g.runs.length - ok.length,
      ...stats('acc', pick((r) => r.metrics!.bestAccuracy)),
      ...stats('last_acc', pick((r) => r.metrics!.lastAccuracy)),
      ...(metric === 'median-last-k' ? stats(slug, pick(value)) : {}),
      gap_mean: mean(gap) ?? null,
      gap_std: std(gap) ?? null,
      test_nll_mean: mean(pick((r) => r.metrics!.testNll)) ?? null,
      test_nll_std: std(pick((r) => r.metrics!.testNll)) ?? null,
      ece_mean: mean(pick((r) => r.metrics!.ece)) ?? null,
      ece_std: std(pick((r) => r.metrics!.ece)) ?? null,
      ...extraCols,
      last_layer_cosine_mean: mean(cos) ?? null,
      last_layer_cosine_std: std(cos) ?? null,
      acc_delta_vs_baseline: null,
      last_acc_delta_vs_baseline: null,
      [`${slug}_delta_vs_baseline`]: null,
      n_pairs: null,
      [`${slug}_p_paired_t`]: null,
      [`${slug}_p_paired_t_holm`]: null,
      [`${slug}_p_wilcoxon`]: null,
      [`${slug}_p_wilcoxon_holm`]: null,
      [`${slug}_cohen_dz`]: null,
      [`${slug}_diff_sd`]: null,
      [`${slug}_mdd80`]: null,
      [`${slug}_seeds80`]: null,
      [`${slug}_rank`]: null,
      samples_per_sec_mean: mean(pick((r) => r.metrics!.samplesPerSec)) ?? null,
      train_seconds_mean: mean(pick((r) => r.metrics!.trainSeconds)) ?? null,
    };
  });

  // Deltas and paired tests against the baseline arm of the block.
  const metricMean = (row: SummaryRow): Cell => row[metric === 'best' ? 'acc_mean' : metric === 'last' ? 'last_acc_mean' : `${slug}_mean`];
  groups.forEach((g, i) => {
    const base = baselineOf(g, groups);
    if (!base) return;
    const row = rows[i];
    const b = rows[groups.indexOf(base)];
    const diff = (x: Cell, y: Cell) => (typeof x === 'number' && typeof y === 'number' ? x - y : null);
    row.acc_delta_vs_baseline = diff(row.acc_mean, b.acc_mean);
    row.last_acc_delta_vs_baseline = diff(row.last_acc_mean, b.last_acc_mean);
    row[`${slug}_delta_vs_baseline`] = diff(metricMean(row), metricMean(b));
    if (base === g) return;
    const [xa, xb] = matchBySeed(g.runs, base.runs, value);
    row.n_pairs = xa.length;
    row[`${slug}_p_paired_t`] = pairedTTest(xa, xb)?.p ?? null;
    row[`${slug}_p_wilcoxon`] = wilcoxonSignedRank(xa, xb)?.p ?? (xa.length ? 1 : null);
    const power = pairedPower(pairedDifferences(xa, xb), { alpha: settings.alpha });
    if (power) {
      row[`${slug}_cohen_dz`] = power.dz ?? null;
      row[`${slug}_diff_sd`] = power.sd;
      row[`${slug}_mdd80`] = power.mdd ?? null;
      row[`${slug}_seeds80`] = power.seedsForObserved;
    }
  });

  // Holm over the block's comparisons with its baseline; rank within the block on "the" accuracy statistic.
  for (const test of ['p_paired_t', 'p_wilcoxon']) {
    const adjusted = holmAdjust(rows.map((r) => r[`${slug}_${test}`] as Maybe));
    rows.forEach((r, j) => {
      r[`${slug}_${test}_holm`] = adjusted[j] ?? null;
    });
  }
  const ranks = rankValues(rows.map((r) => metricMean(r) as Maybe));
  rows.forEach((r, j) => {
    r[`${slug}_rank`] = ranks[j] ?? null;
  });
  return rows;
}
