/** Run records → rows → CSV files. Rows are plain data; CSV is one formatter of them. */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { RunRecord } from '../run/record';
import { writeFileAtomic } from '../util/fs';
import { mean, std } from './stats';

export const RUN_COLUMNS = [
  'run_id', 'dataset', 'noise', 'method', 'seed', 'backend', 'status', 'epochs', 'best_acc', 'last_acc', 'best_epoch',
  'test_nll', 'ece', 'train_loss', 'train_seconds', 'samples_per_sec', 'error',
] as const;

export type RunRow = Record<(typeof RUN_COLUMNS)[number], string | number | null>;

export function runRows(records: RunRecord[]): RunRow[] {
  return records.map((r) => ({
    run_id: r.id,
    dataset: r.spec.dataset.name,
    noise: r.spec.noise.label,
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
    error: r.error ? r.error.split('\n')[0] : null,
  }));
}

/** `acc` is the best-epoch test accuracy; `last_acc` the last epoch's. Means over the runs with status ok. */
export const SUMMARY_COLUMNS = [
  'dataset', 'noise', 'method', 'n', 'n_failed', 'acc_mean', 'acc_std', 'acc_delta_vs_baseline', 'last_acc_mean', 'last_acc_std',
  'last_acc_delta_vs_baseline', 'test_nll_mean', 'ece_mean', 'samples_per_sec_mean',
] as const;

export type SummaryRow = Record<(typeof SUMMARY_COLUMNS)[number], string | number | null>;

export function summaryRows(records: RunRecord[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = JSON.stringify([r.spec.dataset.name, r.spec.noise.label, r.spec.method.name]);
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const rows: SummaryRow[] = [];
  for (const [key, runs] of groups) {
    const [dataset, noise, method] = JSON.parse(key) as string[];
    const ok = runs.filter((r) => r.status === 'ok' && r.metrics);
    const pick = (f: (r: RunRecord) => number) => ok.map(f);
    rows.push({
      dataset, noise, method,
      n: ok.length,
      n_failed: runs.length - ok.length,
      acc_mean: mean(pick((r) => r.metrics!.bestAccuracy)) ?? null,
      acc_std: std(pick((r) => r.metrics!.bestAccuracy)) ?? null,
      acc_delta_vs_baseline: null,
      last_acc_mean: mean(pick((r) => r.metrics!.lastAccuracy)) ?? null,
      last_acc_std: std(pick((r) => r.metrics!.lastAccuracy)) ?? null,
      last_acc_delta_vs_baseline: null,
      test_nll_mean: mean(pick((r) => r.metrics!.testNll)) ?? null,
      ece_mean: mean(pick((r) => r.metrics!.ece)) ?? null,
      samples_per_sec_mean: mean(pick((r) => r.metrics!.samplesPerSec)) ?? null,
    });
  }
  // Deltas against the arm made only of `baseline` in the same (dataset, noise) group.
  const baselineNames = new Set(records.filter((r) => r.spec.method.parts.every((p) => p.method === 'baseline')).map((r) => r.spec.method.name));
  for (const row of rows) {
    const base = rows.find((b) => b.dataset === row.dataset && b.noise === row.noise && baselineNames.has(String(b.method)));
    if (!base) continue;
    if (typeof row.acc_mean === 'number' && typeof base.acc_mean === 'number') row.acc_delta_vs_baseline = row.acc_mean - base.acc_mean;
    if (typeof row.last_acc_mean === 'number' && typeof base.last_acc_mean === 'number') row.last_acc_delta_vs_baseline = row.last_acc_mean - base.last_acc_mean;
  }
  return rows;
}

function cell(v: string | number | null): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(6);
  return v;
}

export function toCsv<R extends Record<string, string | number | null>>(rows: R[], columns: readonly string[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => cell(r[c] as string | number | null))),
    { header: true, columns: [...columns] },
  );
}

/** Write runs.csv and summary.csv into `output`; returns the paths. */
export function writeTables(output: string, records: RunRecord[]): string[] {
  const runsPath = join(output, 'runs.csv');
  const summaryPath = join(output, 'summary.csv');
  writeFileAtomic(runsPath, toCsv(runRows(records), RUN_COLUMNS));
  writeFileAtomic(summaryPath, toCsv(summaryRows(records), SUMMARY_COLUMNS));
  return [runsPath, summaryPath];
}

/** A fixed-width text table of the summary for the terminal. */
export function formatSummaryText(rows: SummaryRow[]): string {
  const header = ['dataset', 'noise', 'method', 'n', 'best acc (mean ± std)', 'Δ vs baseline', 'last acc', 'NLL', 'ECE'];
  const pct = (v: unknown) => (typeof v === 'number' ? (100 * v).toFixed(2) : '-');
  const body = rows.map((r) => [
    String(r.dataset), String(r.noise), String(r.method), String(r.n),
    `${pct(r.acc_mean)} ± ${pct(r.acc_std)}`,
    typeof r.acc_delta_vs_baseline === 'number' ? `${r.acc_delta_vs_baseline >= 0 ? '+' : ''}${pct(r.acc_delta_vs_baseline)}` : '-',
    pct(r.last_acc_mean),
    typeof r.test_nll_mean === 'number' ? r.test_nll_mean.toFixed(3) : '-',
    typeof r.ece_mean === 'number' ? r.ece_mean.toFixed(3) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), '(accuracies in %; best = best-epoch test accuracy; last = last epoch)'].join('\n');
}
