/**
 * Run records → the report's files, as text: pure. `src/report/write.ts` writes them into an output directory.
 *
 *   runs.csv             a row per run
 *   summary.csv/.md/.tex a row per cell (dataset, noise, method): src/report/summary.ts; formatters in format.ts
 *   oversmoothing.csv    a row per (cell, layer) when Transformer runs carry the diagnostic
 *   ensembles.csv        ensemble members: metrics versus ensemble size (src/report/ensembles.ts)
 *   plots/*.svg          accuracy vs noise, curves, over-smoothing, equivariance (src/report/plots.ts)
 *   claims.txt           the config's claims and whether they hold (when it has any)
 *   report.html          all of the above on one self-contained page (src/report/page.ts)
 */
import { armLabel, isModelOrTrainKey, NO_AXES, type Axes } from '../core/axes';
import { datasetLabel } from '../core/cell';
import type { ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { axisCell, reportAxes } from './axes';
import { evaluateClaims, formatClaims } from './claims';
import { ensembleColumns, ensembleRows, equivariancePlots, evaluateEnsembleClaims, type OrbitReader } from './ensembles';
import { noiseInfo } from './fields';
import { csvLine, toCsv, toLatex, toMarkdown, toText } from './format';
import { ReportCache } from './memo';
import { allPlots, oversmoothingColumns, oversmoothingRows } from './plots';
import { reportPage, type SweepInfo } from './page';
import { summarise, type Summary, type SummaryRow } from './summary';

export const RUN_COLUMNS = [
  'run_id', 'experiment', 'dataset', 'noise', 'noise_type', 'noise_rate', 'method', 'seed', 'backend', 'status', 'epochs',
  'best_acc', 'last_acc', 'best_epoch', 'test_nll', 'ece', 'train_loss', 'train_seconds', 'samples_per_sec',
  'last_layer_cosine', 'realised_label_noise', 'realised_input_noise', 'mem_noisy_fit', 'mem_true_fit', 'error',
] as const;

export type RunRow = Record<(typeof RUN_COLUMNS)[number], string | number | null> & Record<string, string | number | null>;

/** The columns of runs.csv: RUN_COLUMNS, with the sweep's axis columns after `method` when it has axes. */
export function runColumns(axes: Axes): string[] {
  if (!axes.columns.length) return [...RUN_COLUMNS];
  const at = RUN_COLUMNS.indexOf('method') + 1;
  return [...RUN_COLUMNS.slice(0, at), ...axes.columns, ...RUN_COLUMNS.slice(at)];
}

/** The rows of runs.csv, a row per run. */
export function runRows(records: RunRecord[], axes: Axes = reportAxes(records)): RunRow[] {
  return records.map((r) => runRow(r, axes));
}

/** A run's row of runs.csv. */
function runRow(r: RunRecord, axes: Axes): RunRow {
  const noise = noiseInfo(r);
  const layers = r.oversmoothing?.layers;
  return {
    ...Object.fromEntries(axes.columns.map((c) => [c, axisCell(r, c)])),
    run_id: r.id,
    experiment: r.spec.experiment,
    dataset: datasetLabel(r.spec.dataset),
    noise: r.spec.noise.label,
    noise_type: noise.type,
    noise_rate: noise.rate ?? null,
    method: armLabel(r.spec, axes),
    seed: r.spec.seed,
    backend: r.environment.backend,
    status: r.status,
    epochs: r.curve.length,
    best_acc: r.metrics?.bestAccuracy ?? null,
    last_acc: r.metrics?.lastAccuracy ?? null,
    best_epoch: r.metrics?.bestEpoch ?? null,
    test_nll: r.metrics?.testNll ?? null,
    ece: r.metrics?.ece ?? null,
    train_loss: r.metrics?.finalTrainLoss ?? null,
    train_seconds: r.metrics?.trainSeconds ?? null,
    samples_per_sec: r.metrics?.samplesPerSec ?? null,
    last_layer_cosine: layers?.length ? layers.reduce((a, b) => (b.depth > a.depth ? b : a)).cosine : null,
    // Realised noise on the training split and the last epoch's fit of the label-corrupted examples (noisy runs).
    realised_label_noise: r.noise?.labelFraction ?? null,
    realised_input_noise: r.noise?.inputFraction ?? null,
    mem_noisy_fit: r.memorisation?.noisyFit ?? null,
    mem_true_fit: r.memorisation?.trueFit ?? null,
    error: r.error ? r.error.split('\n')[0] : null,
  };
}

/** The summary rows (see summary.ts for the columns). */
export function summaryRows(records: RunRecord[], settings: ReportSettings): SummaryRow[] {
  return summarise(records, settings).rows;
}

export interface ReportContent {
  /** [path relative to the output directory, text]. */
  files: [string, string][];
  summary: Summary;
  /** The claims' verdicts as text ('' without claims). */
  claims: string;
  /** Problems worth telling the user (e.g. ensemble members whose logits could not be read). */
  notes: string[];
}

/** What report.html needs beyond the records: where each run's result.json is, and how the sweep was started. */
export interface PageContext {
  /** Run id → URL of its result.json relative to the output directory; default `runs/<id>/result.json`. */
  links?: Record<string, string>;
  sweep?: SweepInfo;
}

/**
 * Every table, plot and claim check from `records`, and report.html. Ensemble members' logits come from `readOrbit`.
 * With the same `cache` across calls (a sweep), only what depends on changed cells is recomputed (src/report/memo.ts).
 */
export function buildReport(records: RunRecord[], settings: ReportSettings, readOrbit: OrbitReader, cache = new ReportCache(), page: PageContext = {}): ReportContent {
  const axes = reportAxes(records, settings, cache);
  const summary = summarise(records, settings, cache, axes);
  const title = [...new Set(records.map((r) => r.spec.experiment))].join(' + ') || 'mixbench';
  const columns = runColumns(axes);
  // A run's line depends on the axes too (its arm label and axis columns): cached per record and axes.
  const axesKey = `runs.csv ${JSON.stringify([axes.columns, [...axes.labels]])}`;
  const runsCsv = [csvLine(columns), ...records.map((r) => cache.ofRecord(r, axesKey, () => csvLine(columns.map((c) => runRow(r, axes)[c]))))].join('');
  const files: [string, string][] = [
    ['runs.csv', runsCsv],
    ['summary.csv', toCsv(summary.rows, summary.columns)],
    ['summary.md', toMarkdown(summary, title)],
    ['summary.tex', toLatex(summary, title)],
  ];
  const os = oversmoothingRows(records, cache, axes);
  if (os.length) files.push(['oversmoothing.csv', toCsv(os.map((r) => ({ ...r, ...r.axisValues })) as unknown as SummaryRow[], oversmoothingColumns(axes))]);
  const plots = allPlots(records, settings, cache, axes);
  const ensembles = ensembleRows(records, readOrbit, cache, undefined, axes);
  const ensembleCols = ensembleColumns(axes);
  if (ensembles.rows.length) {
    files.push(['ensembles.csv', toCsv(ensembles.rows, ensembleCols)]);
    plots.push(...equivariancePlots(ensembles.rows, axes));
  }
  for (const plot of plots) files.push([`plots/${plot.file}`, plot.svg]);
  const claimResults = evaluateClaims(records, settings, evaluateEnsembleClaims(ensembles.groups, settings.claims, settings.alpha), axes);
  const claims = formatClaims(claimResults);
  if (settings.claims.length) files.push(['claims.txt', claims]);
  const links = page.links ?? Object.fromEntries(records.map((r) => [r.id, `runs/${encodeURIComponent(r.id)}/result.json`]));
  files.push(['report.html', reportPage({
    title, summary, claims: claimResults, plots, records, runs: runRows(records, axes), links, sweep: page.sweep,
    extraTables: ensembles.rows.length ? [{ title: 'Ensembles', columns: ensembleCols, rows: ensembles.rows }] : [],
  })]);
  return { files, summary, claims, notes: ensembles.notes };
}

/** A fixed-width text table of the summary for the terminal (rows from `summaryRows`, or a whole Summary). */
export function formatSummaryText(summary: Summary | SummaryRow[], settings: ReportSettings): string {
  if (Array.isArray(summary)) {
    const columns = summary.length ? Object.keys(summary[0]) : [];
    const rankCol = columns.find((c) => c.endsWith('_rank')) ?? 'best_acc_rank';
    const slug = rankCol.slice(0, -'_rank'.length);
    const multiExperiment = new Set(summary.map((r) => r.experiment)).size > 1;
    const axisColumns = columns.slice(columns.indexOf('method') + 1, columns.indexOf('n'));
    const axes: Axes = axisColumns.length ? { settings: axisColumns.filter(isModelOrTrainKey), labels: new Map(), columns: axisColumns } : NO_AXES;
    return toText({ columns, rows: summary, settings, metricColumn: slug, multiExperiment, axes });
  }
  return toText(summary);
}

/** The terminal report: the summary table, then the claims and whether they hold. */
export function formatReport(content: Pick<ReportContent, 'summary' | 'claims'>): string {
  return `${toText(content.summary)}\n${content.claims ? `\n${content.claims}` : ''}`;
}
