/**
 * Execute a plan: skip complete runs (resume by default), run the rest in this process or in N worker processes,
 * and rewrite the tables after every finished run so that an interruption loses nothing already computed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Plan, RunSpec } from '../config/plan';
import type { BackendName } from '../config/schema';
import { BackendError, InterruptedError } from '../errors';
import type { EventSink } from './events';
import { readRunRecord, type RunRecord } from './record';
import type { FromWorker, ToWorker } from './worker';

export interface SweepOptions {
  backend: BackendName;
  jobs: number;
  force: boolean;
  sink: EventSink;
  /** Called with every record of the plan that is complete so far (tables). */
  onRecords(records: RunRecord[]): string[];
}

export interface SweepResult {
  records: RunRecord[];
  ran: number;
  skipped: number;
  interrupted: boolean;
}

export async function runSweep(plan: Plan, opts: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const done = new Map<string, RunRecord>();
  const todo: RunSpec[] = [];
  for (const spec of plan.runs) {
    const rec = opts.force ? undefined : readRunRecord(plan.output, spec);
    if (rec) done.set(spec.id, rec);
    else todo.push(spec);
  }
  const skipped = done.size;
  opts.sink({ type: 'plan', experiment: plan.experiment, total: plan.runs.length, todo: todo.length, complete: skipped, output: plan.output });

  const allRecords = () => plan.runs.map((r) => done.get(r.id)).filter((r): r is RunRecord => !!r);
  const writeTables = () => {
    const files = opts.onRecords(allRecords());
    return files;
  };

  let interrupted = false;
  const jobs = Math.max(1, Math.min(opts.jobs, todo.length || 1));
  if (todo.length) {
    if (jobs === 1) interrupted = await runInProcess(plan, todo, opts, done, writeTables);
    else interrupted = await runInWorkers(plan, todo, jobs, opts, done, writeTables);
  }
  const files = writeTables();
  opts.sink({ type: 'tables', files });
  const records = allRecords();
  opts.sink({
    type: 'done',
    ok: records.filter((r) => r.status === 'ok').length,
    failed: records.filter((r) => r.status === 'failed').length,
    diverged: records.filter((r) => r.status === 'diverged').length,
    skipped,
    seconds: (Date.now() - started) / 1000,
  });
  return { records, ran: records.length - skipped, skipped, interrupted };
}

async function runInProcess(
  plan: Plan,
  todo: RunSpec[],
  opts: SweepOptions,
  done: Map<string, RunRecord>,
  writeTables: () => string[],
): Promise<boolean> {
  const { loadBackend } = await import('../backend');
  const { configureOps } = await import('../model/ops');
  const { executeRun } = await import('./single');
  const backend = await loadBackend(opts.backend);
  configureOps(backend.name);
  opts.sink({ type: 'backend', summary: backend.summary });
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    for (let i = 0; i < todo.length; i++) {
      const spec = todo[i];
      opts.sink({ type: 'run_started', id: spec.id, index: i + 1, total: todo.length, epochs: spec.train.epochs, worker: 0 });
      let rec: RunRecord;
      try {
        rec = await executeRun(spec, plan.output, backend, {
          onEpoch: (r, epochs) => opts.sink({ type: 'epoch', id: spec.id, epoch: r.epoch, epochs, trainLoss: r.trainLoss, testAccuracy: r.testAccuracy, worker: 0 }),
          shouldStop: () => stopping,
        });
      } catch (err) {
        if (err instanceof InterruptedError) return true;
        throw err;
      }
      done.set(spec.id, rec);
      opts.sink({
        type: 'run_finished', id: spec.id, status: rec.status, bestAccuracy: rec.metrics?.bestAccuracy ?? null,
        lastAccuracy: rec.metrics?.lastAccuracy ?? null, seconds: rec.wallSeconds, error: rec.error, worker: 0,
      });
      writeTables();
      if (stopping) return true;
    }
    return false;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function runInWorkers(
  plan: Plan,
  todo: RunSpec[],
  jobs: number,
  opts: SweepOptions,
  done: Map<string, RunRecord>,
  writeTables: () => string[],
): Promise<boolean> {
  const queue = todo.map((spec, i) => ({ spec, index: i + 1 }));
  const workers: ChildProcess[] = [];
  let stopping = false;
  let backendAnnounced = false;
  let fatal: Error | undefined;

  return new Promise<boolean>((resolve, reject) => {
    let alive = 0;
    const stop = () => {
      stopping = true;
      for (const w of workers) w.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const finish = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (fatal) reject(fatal);
      else resolve(stopping);
    };

    const feed = (w: ChildProcess) => {
      const next = stopping ? undefined : queue.shift();
      const msg: ToWorker = next ? { type: 'run', spec: next.spec, output: plan.output, index: next.index, total: todo.length } : { type: 'exit' };
      w.send(msg);
    };

    for (let k = 0; k < jobs; k++) {
      const w = fork(join(__dirname, 'worker.js'), [], {
        env: { ...process.env, MIXBENCH_WORKER_BACKEND: opts.backend, MIXBENCH_WORKER_ID: String(k + 1) },
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      let stderr = '';
      w.stderr?.on('data', (d: Buffer) => {
        // tfjs prints banners to stderr; keep them for error reports only.
        stderr = (stderr + d.toString()).slice(-4000);
      });
      workers.push(w);
      alive += 1;
      w.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            if (!backendAnnounced) {
              backendAnnounced = true;
              opts.sink({ type: 'backend', summary: `${msg.summary} × ${jobs} worker processes` });
            }
            feed(w);
            break;
          case 'event':
            opts.sink(msg.event);
            break;
          case 'finished': {
            const spec = todo.find((s) => s.id === msg.id)!;
            const rec = readRunRecord(plan.output, spec);
            if (rec) done.set(spec.id, rec);
            writeTables();
            feed(w);
            break;
          }
          case 'fatal':
            fatal = new BackendError(msg.message);
            stop();
            break;
        }
      });
      w.on('exit', (code, signal) => {
        alive -= 1;
        if (!stopping && !fatal && code !== 0) {
          fatal = new Error(`worker ${k + 1} exited unexpectedly (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
          stop();
        }
        if (alive === 0) finish();
      });
    }
  });
}
