/** The run record (`runs/<id>/result.json`) and its validation when read back. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSpec } from '../config/plan';
import type { EpochRecord } from '../train/loop';
import { writeFileAtomic } from '../util/fs';

export type RunStatus = 'ok' | 'diverged' | 'failed';

export interface RunEnvironment {
  node: string;
  tfjs: string;
  backend: string;
  backendPackage: string;
  threads: number | null;
  device: string | null;
  platform: string;
  cpu: string;
  cores: number;
  gitCommit: string | null;
  mixbench: string;
}

export interface RunMetrics {
  bestAccuracy: number;
  lastAccuracy: number;
  /** 1-based epoch of the best test accuracy (the first, on ties). */
  bestEpoch: number;
  /** Test NLL and ECE of the final (last-epoch) model. */
  testNll: number;
  ece: number;
  finalTrainLoss: number;
  trainSeconds: number;
  samplesPerSec: number;
  parameterCount: number;
}

export interface RunRecord {
  format: 'mixbench-run/1';
  id: string;
  status: RunStatus;
  spec: RunSpec;
  metrics: RunMetrics | null;
  curve: EpochRecord[];
  environment: RunEnvironment;
  error: string | null;
  wallSeconds: number;
  finishedAt: string;
}

export function runDir(output: string, id: string): string {
  return join(output, 'runs', id);
}

/** Write result.json, then the `done` marker last, both atomically. */
export function writeRunRecord(output: string, record: RunRecord): void {
  const dir = runDir(output, record.id);
  writeFileAtomic(join(dir, 'result.json'), `${JSON.stringify(record, null, 1)}\n`);
  writeFileAtomic(join(dir, 'done'), `${record.status}\n`);
}

/** A complete, well-formed record for `spec`, or undefined (missing, half-written, corrupt, or for another spec). */
export function readRunRecord(output: string, spec: RunSpec): RunRecord | undefined {
  const dir = runDir(output, spec.id);
  if (!existsSync(join(dir, 'done'))) return undefined;
  try {
    const rec = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunRecord;
    if (rec.format !== 'mixbench-run/1' || rec.id !== spec.id) return undefined;
    if (!['ok', 'diverged', 'failed'].includes(rec.status)) return undefined;
    if (rec.status === 'ok' && (!rec.metrics || !Array.isArray(rec.curve) || rec.curve.length !== spec.train.epochs)) return undefined;
    return rec;
  } catch {
    return undefined;
  }
}

export function summariseCurve(curve: EpochRecord[], trainSeconds: number, samplesPerSec: number, parameterCount: number): RunMetrics {
  let best = curve[0];
  for (const r of curve) if (r.testAccuracy > best.testAccuracy) best = r;
  const last = curve[curve.length - 1];
  return {
    bestAccuracy: best.testAccuracy,
    lastAccuracy: last.testAccuracy,
    bestEpoch: best.epoch,
    testNll: last.testNll,
    ece: last.testEce,
    finalTrainLoss: last.trainLoss,
    trainSeconds,
    samplesPerSec,
    parameterCount,
  };
}
