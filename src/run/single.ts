/**
 * Execute one run in this process and write its record: data with the run's noise, training with the diagnostics
 * (src/train/), each diagnostic's result into its record section, the record through the store. Never throws for a
 * run's own failure.
 */
import type { BackendInfo } from '../backend';
import { recordFormat, type EpochRecord, type RealisedNoise, type RunRecord } from '../core/record';
import type { RunSpec } from '../core/run';
import type { Dataset } from '../data/dataset';
import { datasetFor } from '../data/cache';
import { applyNoise } from '../data/noise';
import { DivergedError, InterruptedError } from '../errors';
import { requireDir, StorageError } from '../util/fs';
import { writeOrbitLogits } from '../store/orbit';
import { runDir, writeRunRecord } from '../store/records';
import { trainRun } from '../train/loop';
import { memorisationProbe, memorisationSection } from '../train/memorisation';
import { summariseCurve } from '../train/metrics';
import { environment } from './env';
import { injectedFault } from './faults';

export interface SingleRunHooks {
  onEpoch?(r: EpochRecord, total: number): void;
  shouldStop?(): boolean;
  /** 1-based attempt number (`--retries`); recorded, and seen by the MIXBENCH_TEST_FAULT testing hook. */
  attempt?: number;
}

/** The testing hook's NaN fault: the same data with every training feature NaN (image and tabular data). */
function poisoned(ds: Dataset): Dataset {
  return { ...ds, train: { ...ds.train, x: new Float32Array(ds.train.x.length).fill(Number.NaN) } };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function executeRun(spec: RunSpec, output: string, backend: BackendInfo, hooks: SingleRunHooks = {}): Promise<RunRecord> {
  const started = Date.now();
  const curve: EpochRecord[] = [];
  let record: RunRecord;
  const attempt = hooks.attempt ?? 1;
  const base = { format: recordFormat(), id: spec.id, spec, environment: environment(backend), attempt };
  let realised: RealisedNoise | null = null;
  try {
    const fault = injectedFault(spec.id, attempt);
    if (fault === 'hang') {
      while (!hooks.shouldStop?.()) await sleep(50);
      throw new InterruptedError();
    }
    // Noise on the training split, determined by (seed, noise spec): the same for every method under one seed.
    const noisy = applyNoise(datasetFor(spec), spec.noise, spec.seed);
    realised = noisy.realised;
    const ds = fault === 'nan' ? poisoned(noisy.ds) : noisy.ds;
    const probe = memorisationProbe(noisy);
    const out = await trainRun(spec, ds, {
      probe,
      onEpoch: (r, total) => {
        curve.push(r);
        hooks.onEpoch?.(r, total);
        if (fault === 'kill') process.kill(process.pid, 'SIGKILL');
        if (fault === 'throw') throw new Error(`MIXBENCH_TEST_FAULT: exception injected into ${spec.id} after epoch ${r.epoch}`);
      },
      shouldStop: hooks.shouldStop,
    });
    requireDir(output); // a vanished output directory stops the sweep; the orbit write below would recreate it
    record = {
      ...base,
      status: 'ok',
      metrics: summariseCurve(out.curve, out.trainSeconds, out.samplesPerSec, out.parameterCount),
      curve: out.curve,
      oversmoothing: out.oversmoothing ?? null,
      noise: realised,
      memorisation: memorisationSection(probe, out.curve),
      orbit: out.orbit ? writeOrbitLogits(runDir(output, spec.id), { orbit: out.orbit, labels: ds.test.y }, spec.member?.measure ?? 'none', ds.numClasses, output) : null,
      error: null,
      wallSeconds: (Date.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
  } catch (err) {
    if (err instanceof InterruptedError || err instanceof StorageError) throw err; // not the run's fault: the sweep stops
    const diverged = err instanceof DivergedError;
    record = {
      ...base,
      status: diverged ? 'diverged' : 'failed',
      metrics: null,
      curve,
      noise: realised,
      error: err instanceof Error ? (diverged ? err.message : (err.stack ?? err.message)) : String(err),
      wallSeconds: (Date.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
  }
  writeRunRecord(output, record);
  return record;
}
