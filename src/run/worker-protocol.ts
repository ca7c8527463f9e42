/** What a sweep and its worker processes say to each other: the worker's environment and the IPC messages. */
import type { SweepEvent } from '../core/events';
import type { RunEnvironment } from '../core/record';
import type { RunSpec } from '../core/run';

export type DatasetKey = Pick<RunSpec, 'dataset' | 'splitSeed'>;

/** A worker's environment: its backend, its slot, and the datasets (JSON) to load before it reports ready. */
export const WORKER_BACKEND = 'MIXBENCH_WORKER_BACKEND';
export const WORKER_ID = 'MIXBENCH_WORKER_ID';
export const WORKER_DATASETS = 'MIXBENCH_WORKER_DATASETS';

export type ToWorker = { type: 'run'; spec: RunSpec; output: string; index: number; total: number; attempt: number } | { type: 'exit' };
export type FromWorker =
  | { type: 'ready'; summary: string; environment: RunEnvironment; threads: number | null }
  | { type: 'event'; event: SweepEvent }
  | { type: 'finished'; id: string; status: string }
  | { type: 'fatal'; message: string; exitCode: number }
  | { type: 'storage'; message: string; path: string; code: string };
