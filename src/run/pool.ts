/**
 * Worker processes for a sweep, started before the sweep needs them. A worker's start-up (Node, the tfjs modules, the
 * backend, the datasets: about half a CPU-second) then overlaps the parent's own checks (data files, memory, disk),
 * and a worker that reaches the sweep has already sent `ready`. Messages and the exit of a worker nobody listens to
 * yet are kept and replayed to the sweep when it takes the worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BackendName } from '../core/experiment';
import type { RunSpec } from '../core/run';
import { canonicalJson } from '../util/hash';
import { WORKER_BACKEND, WORKER_DATASETS, WORKER_ID, type DatasetKey, type FromWorker } from './worker-protocol';

export interface PooledWorker {
  readonly slot: number;
  readonly proc: ChildProcess;
  /** The tail of the worker's stderr (tfjs banners, a crash's message). */
  stderr(): string;
  /** Deliver the worker's messages and its exit to these handlers, beginning with any that came before. */
  listen(onMessage: (msg: FromWorker) => void, onExit: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

/** The distinct datasets of some runs, each once (a worker loads each once as well). */
export function distinctDatasets(runs: readonly RunSpec[]): DatasetKey[] {
  const seen = new Map<string, DatasetKey>();
  for (const r of runs) seen.set(canonicalJson([r.dataset, r.splitSeed]), { dataset: r.dataset, splitSeed: r.splitSeed });
  return [...seen.values()];
}

/** Threads per worker so that jobs × threads ≤ cores, unless `requested`. */
export function threadsPerWorker(jobs: number, cores: number, requested?: number): number {
  if (requested !== undefined) return requested;
  return Math.max(1, Math.floor(cores / Math.max(1, jobs)));
}

/** Environment that sizes the native thread pools of a tfjs-node backend (libtensorflow reads it when it starts). */
export function setThreadEnv(env: NodeJS.ProcessEnv, threads: number): NodeJS.ProcessEnv {
  env.TF_NUM_INTRAOP_THREADS = String(threads);
  env.TF_NUM_INTEROP_THREADS = '1';
  env.OMP_NUM_THREADS = String(threads);
  return env;
}

export function forkWorker(slot: number, backend: BackendName, threads: number, datasets: readonly DatasetKey[]): PooledWorker {
  const env = setThreadEnv({ ...process.env, [WORKER_BACKEND]: backend, [WORKER_ID]: String(slot), [WORKER_DATASETS]: JSON.stringify(datasets) }, threads);
  const proc = fork(join(__dirname, 'worker.js'), [], { env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let tail = '';
  const early: FromWorker[] = [];
  let exited: [number | null, NodeJS.Signals | null] | undefined;
  let onMessage: ((msg: FromWorker) => void) | undefined;
  let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  proc.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  // A message to a worker that is already exiting fails with ERR_IPC_CHANNEL_CLOSED; its 'exit' handles the rest.
  proc.on('error', (err) => {
    tail = `${tail}\n${err.message}`.slice(-4000);
  });
  proc.on('message', (msg: FromWorker) => (onMessage ? onMessage(msg) : early.push(msg)));
  proc.on('exit', (code, signal) => (onExit ? onExit(code, signal) : (exited = [code, signal])));
  return {
    slot,
    proc,
    stderr: () => tail,
    listen(message, exit) {
      onMessage = message;
      onExit = exit;
      for (const msg of early.splice(0)) message(msg);
      if (exited) exit(...exited);
    },
  };
}

/**
 * Workers started ahead of a sweep (`mixbench run --jobs N`, N > 1). The sweep takes them in order and forks any more
 * it needs (a replacement for a worker that died); `close` stops the ones never taken.
 */
export class WorkerPool {
  private readonly waiting: PooledWorker[] = [];

  constructor(
    readonly backend: BackendName,
    readonly threads: number,
    readonly datasets: readonly DatasetKey[],
    count: number,
  ) {
    for (let k = 0; k < count; k++) this.waiting.push(forkWorker(k + 1, backend, threads, datasets));
  }

  /** A started worker for this slot, or a new one. */
  take(slot: number): PooledWorker {
    const i = this.waiting.findIndex((w) => w.slot === slot);
    return i >= 0 ? this.waiting.splice(i, 1)[0] : forkWorker(slot, this.backend, this.threads, this.datasets);
  }

  close(): void {
    for (const w of this.waiting.splice(0)) w.proc.kill('SIGTERM');
  }
}
