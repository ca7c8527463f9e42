/** Execute one run in this process and write its record. Never throws for a run's own failure. */
import type { BackendInfo } from '../backend';
import type { RunSpec } from '../config/plan';
import type { Dataset } from '../data/dataset';
import { loadDataset } from '../data/load';
import { DivergedError, InterruptedError } from '../errors';
import { trainRun, type EpochRecord } from '../train/loop';
import { canonicalJson } from '../util/hash';
import { environment } from './env';
import { summariseCurve, writeRunRecord, type RunRecord } from './record';

const datasetCache = new Map<string, Dataset>();

export function datasetFor(spec: RunSpec): Dataset {
  const key = canonicalJson([spec.dataset, spec.splitSeed]);
  let ds = datasetCache.get(key);
  if (!ds) {
    ds = loadDataset(spec.dataset, spec.splitSeed);
    datasetCache.set(key, ds);
  }
  return ds;
}

export interface SingleRunHooks {
  onEpoch?(r: EpochRecord, total: number): void;
  shouldStop?(): boolean;
}

export async function executeRun(spec: RunSpec, output: string, backend: BackendInfo, hooks: SingleRunHooks = {}): Promise<RunRecord> {
  const started = Date.now();
  const curve: EpochRecord[] = [];
  let record: RunRecord;
  const base = { format: 'mixbench-run/1' as const, id: spec.id, spec, environment: environment(backend) };
  try {
    const ds = datasetFor(spec);
    const out = await trainRun(spec, ds, {
      onEpoch: (r, total) => {
        curve.push(r);
        hooks.onEpoch?.(r, total);
      },
      shouldStop: hooks.shouldStop,
    });
    record = {
      ...base,
      status: 'ok',
      metrics: summariseCurve(out.curve, out.trainSeconds, out.samplesPerSec, out.parameterCount),
      curve: out.curve,
      error: null,
      wallSeconds: (Date.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const diverged = err instanceof DivergedError;
    record = {
      ...base,
      status: diverged ? 'diverged' : 'failed',
      metrics: null,
      curve,
      error: err instanceof Error ? (diverged ? err.message : (err.stack ?? err.message)) : String(err),
      wallSeconds: (Date.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
  }
  writeRunRecord(output, record);
  return record;
}
