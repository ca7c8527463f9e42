/** Execute one run in this process and write its record. Never throws for a run's own failure. */
import type { BackendInfo } from '../backend';
import type { RunSpec } from '../config/plan';
import type { Dataset } from '../data/dataset';
import { datasetFor } from '../data/cache';
import { applyNoise, type RealisedNoise } from '../data/noise';
import { memorisationProbe } from '../train/memorisation';
import { DivergedError, InterruptedError, StorageError } from '../errors';
import { trainRun, type EpochRecord } from '../train/loop';
import { environment } from './env';
import { injectedFault } from './faults';
import { summariseCurve, writeOrbitLogits, writeRunRecord, type RunRecord } from './record';

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

/** The last epoch's memorisation figures. */
function memorisationOf(examples: number, curve: EpochRecord[]): RunRecord['memorisation'] {
  const last = curve[curve.length - 1];
  return last?.noisyFit === undefined ? null : { examples, noisyFit: last.noisyFit, trueFit: last.trueFit ?? null };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function executeRun(spec: RunSpec, output: string, backend: BackendInfo, hooks: SingleRunHooks = {}): Promise<RunRecord> {
  const started = Date.now();
  const curve: EpochRecord[] = [];
  let record: RunRecord;
  const attempt = hooks.attempt ?? 1;
  const base = { format: 'mixbench-run/1' as const, id: spec.id, spec, environment: environment(backend), attempt };
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
    record = {
      ...base,
      status: 'ok',
      metrics: summariseCurve(out.curve, out.trainSeconds, out.samplesPerSec, out.parameterCount),
      curve: out.curve,
      oversmoothing: out.oversmoothing ?? null,
      noise: realised,
      memorisation: probe ? memorisationOf(probe.n, out.curve) : null,
      orbit: out.orbit ? writeOrbitLogits(output, spec, out.orbit, ds) : null,
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
