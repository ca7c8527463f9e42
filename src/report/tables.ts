/**
 * Run records → rows → files. `writeTables` writes every table and plot of an output directory from its records
 * alone; `mixbench run` calls it after each finished run and `mixbench report` rebuilds the same files.
 *
 *   runs.csv             a row per run
 *   summary.csv/.md/.tex a row per (dataset, noise, method): src/report/summary.ts; formatters in format.ts
 *   oversmoothing.csv    a row per (dataset, noise, method, layer) when Transformer runs carry the diagnostic
 *   plots/*.svg          accuracy vs noise, curves, over-smoothing (src/report/plots.ts)
 *   claims.txt           the config's claims and whether they hold (when it has any)
 *   report.json          the report settings used (so `mixbench report <dir>` reuses the config's choice)
 */
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../run/record';
import { writeFilesAtomic } from '../util/fs';
import { evaluateClaims, formatClaims } from './claims';
import { datasetLabel, noiseInfo } from './fields';
import { toCsv, toLatex, toMarkdown, toText } from './format';
import { allPlots, OVERSMOOTHING_COLUMNS, oversmoothingRows } from './plots';
import { UsageError } from '../errors';
import { ACCURACY_METRICS, DEFAULT_REPORT, type ReportSettings } from './settings';
import { summarise, type Summary, type SummaryRow } from './summary';

import { ENSEMBLE_COLUMNS, ensembleRows, equivariancePlots, evaluateEnsembleClaims } from './ensembles';
export { toCsv } from './format';
export type { SummaryRow } from './summary';

export const RUN_COLUMNS = [
  'run_id', 'experiment', 'dataset', 'noise', 'noise_type', 'noise_rate', 'method', 'seed', 'backend', 'status', 'epochs',
  'best_acc', 'last_acc', 'best_epoch', 'test_nll', 'ece', 'train_loss', 'train_seconds', 'samples_per_sec',
  'last_layer_cosine', 'realised_label_noise', 'realised_input_noise', 'mem_noisy_fit', 'mem_true_fit', 'error',
] as const;

export type RunRow = Record<(typeof RUN_COLUMNS)[number], string | number | null>;

export function runRows(records: RunRecord[]): RunRow[] {
  return records.map((r) => {
    const noise = noiseInfo(r);
    const layers = r.oversmoothing?.layers;
    return {
      run_id: r.id,
      experiment: r.spec.experiment,
      dataset: datasetLabel(r),
      noise: r.spec.noise.label,
      noise_type: noise.type,
      noise_rate: noise.rate ?? null,
      method: r.spec.method.name,
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
  });
}

/** The summary rows (see summary.ts for the columns). */
export function summaryRows(records: RunRecord[], settings: ReportSettings = DEFAULT_REPORT): SummaryRow[] {
  return summarise(records, settings).rows;
}

/** Read `<dir>/report.json` (written by `mixbench run` from the config), or the defaults. */
export function readReportSettings(dir: string): ReportSettings {
  const p = join(dir, 'report.json');
  if (!existsSync(p)) return { ...DEFAULT_REPORT };
  try {
    return { ...DEFAULT_REPORT, ...(JSON.parse(readFileSync(p, 'utf8')) as Partial<ReportSettings>) };
  } catch {
    return { ...DEFAULT_REPORT };
  }
}

export interface ReportOutput {
  files: string[];
  summary: Summary;
  claims: string;
}

/** Write every table and plot into `output` from `records`; the report settings default to `<output>/report.json`. */
export function writeReport(output: string, records: RunRecord[], settings?: ReportSettings, sourceDirs?: string[]): ReportOutput {
  const s = settings ?? readReportSettings(output);
  const summary = summarise(records, s);
  const title = [...new Set(records.map((r) => r.spec.experiment))].join(' + ') || 'mixbench';
  const files: [string, string][] = [
    ['runs.csv', toCsv(runRows(records), RUN_COLUMNS)],
    ['summary.csv', toCsv(summary.rows, summary.columns)],
    ['summary.md', toMarkdown(summary, title)],
    ['summary.tex', toLatex(summary, title)],
  ];
  const os = oversmoothingRows(records);
  if (os.length) files.push(['oversmoothing.csv', toCsv(os as unknown as SummaryRow[], OVERSMOOTHING_COLUMNS)]);
  for (const plot of allPlots(records, s)) files.push([join('plots', plot.file), plot.svg]);
  // Ensembles: members' stored test logits are read from the run directories (those of every merged output dir).
  const ensembles = ensembleRows(records, sourceDirs ?? [output]);
  if (ensembles.rows.length) {
    files.push(['ensembles.csv', toCsv(ensembles.rows, ENSEMBLE_COLUMNS)]);
    for (const plot of equivariancePlots(ensembles.rows)) files.push([join('plots', plot.file), plot.svg]);
  }
  const claims = formatClaims([...evaluateClaims(records, s), ...evaluateEnsembleClaims(ensembles.groups, s.claims, s.alpha)]);
  if (s.claims.length) files.push(['claims.txt', claims]);
  if (settings) files.push(['report.json', `${JSON.stringify(settings, null, 1)}\n`]);
  // All staged before any is replaced: a full disk leaves the old set, never a mix.
  const paths = files.map(([name]) => join(output, name));
  writeFilesAtomic(files.map(([, text], i) => [paths[i], text] as const));
  // `mixbench report` (sourceDirs given) rebuilds from every record of the directories: an .svg in plots/ that it did
  // not write is stale (e.g. named without the experiment prefix before a second experiment joined the directory).
  // `mixbench run` tabulates its own plan only and leaves other experiments' plots alone.
  const plotDir = join(output, 'plots');
  if (sourceDirs && existsSync(plotDir)) {
    for (const f of readdirSync(plotDir)) if (f.endsWith('.svg') && !paths.includes(join(plotDir, f))) unlinkSync(join(plotDir, f));
  }
  return { files: paths, summary, claims };
}

/** Write the tables and plots into `output`; returns the paths (the sweep's `onRecords`). */
export function writeTables(output: string, records: RunRecord[], settings?: ReportSettings): string[] {
  return writeReport(output, records, settings).files;
}

/** A fixed-width text table of the summary for the terminal (rows from `summaryRows`, or a whole Summary). */
export function formatSummaryText(summary: Summary | SummaryRow[], settings: ReportSettings = DEFAULT_REPORT): string {
  if (Array.isArray(summary)) {
    const columns = summary.length ? Object.keys(summary[0]) : [];
    const rankCol = columns.find((c) => c.endsWith('_rank')) ?? 'best_acc_rank';
    const slug = rankCol.slice(0, -'_rank'.length);
    const multiExperiment = new Set(summary.map((r) => r.experiment)).size > 1;
    return toText({ columns, rows: summary, settings, metricColumn: slug, multiExperiment });
  }
  return toText(summary);
}

/** The terminal report: the summary table, then the claims and whether they hold. */
export function formatReport(records: RunRecord[], settings: ReportSettings = DEFAULT_REPORT, sourceDirs?: string[]): string {
  const text = toText(summarise(records, settings));
  const ensembleClaims = sourceDirs && settings.claims.some((c) => c.kind === 'ensemble')
    ? evaluateEnsembleClaims(ensembleRows(records, sourceDirs).groups, settings.claims, settings.alpha)
    : [];
  const claims = formatClaims([...evaluateClaims(records, settings), ...ensembleClaims]);
  return `${text}\n${claims ? `\n${claims}` : ''}`;
}

export interface ReportFlags {
  config?: string;
  metric?: string;
  k?: string;
}

/**
 * Settings for `mixbench report`: from `--config` (its `report` and `claims` keys) if given, else `<dir>/report.json`
 * (written by `mixbench run`), else the defaults; `--metric` and `-k` override.
 */
export function reportSettingsFor(dir: string, flags: ReportFlags, loadConfig: (path: string) => { report: ReportSettings }): ReportSettings {
  const s = flags.config ? { ...loadConfig(flags.config).report } : readReportSettings(dir);
  if (flags.metric) {
    if (!(ACCURACY_METRICS as readonly string[]).includes(flags.metric)) throw new UsageError(`--metric must be one of ${ACCURACY_METRICS.join(', ')}, got "${flags.metric}"`);
    s.metric = flags.metric as ReportSettings['metric'];
  }
  if (flags.k !== undefined) {
    const k = Number(flags.k);
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`-k must be a positive integer, got "${flags.k}"`);
    s.k = k;
  }
  return s;
}
