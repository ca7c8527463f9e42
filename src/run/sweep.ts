/**
 * Execute a plan (or one shard of it): skip complete runs (resume by default), run the rest in this process or in N
 * worker processes, and rewrite the tables after every finished run so that an interruption loses nothing computed.
 *
 * - Complete = a valid record with status `ok` or `diverged` (a NaN loss is a result: the same seeds diverge again).
 *   A `failed` record (an exception, a killed worker) is kept for the tables but redone by the next sweep.
 * - `retries`: a failed run is retried up to k more times within the sweep; `failFast`: the first run that ends
 *   failed or diverged (after its retries) stops the sweep, leaving runs in flight incomplete.
 * - SIGINT/SIGTERM: workers stop between steps, runs in flight stay incomplete (no `done` marker), tables cover what is
 *   complete; a second signal kills the workers outright. The caller exits 130.
 * - A worker that dies during a run gets a `failed` record for that run (written here) and is replaced.
 * - Tables cover every complete record of the plan in the output directory, including other shards' runs.
 */
import { cpus } from 'node:os';
import type { EventSink } from '../core/events';
import type { BackendName } from '../core/experiment';
import { recordFormat, type RunEnvironment, type RunRecord } from '../core/record';
import type { Plan, RunSpec } from '../core/run';
import { BackendError, InterruptedError, UsageError } from '../errors';
import { acquireSweepLock, withTablesLock, type HeldLock } from '../store/lock';
import { sweepStoppedError } from '../store/output-check';
import { inspectRunDir, readRunRecord, runDir, writeRunRecord } from '../store/records';
import { StorageError } from '../util/fs';
import { distinctDatasets, setThreadEnv, threadsPerWorker, WorkerPool, type PooledWorker } from './pool';
import { selectShard, shardLabel, WHOLE, type Shard } from './shard';
import type { ToWorker } from './worker-protocol';

export { threadsPerWorker } from './pool';

export interface SweepOptions {
  backend: BackendName;
  jobs: number;
  /** Threads per worker (tensorflow backends); default: cores ÷ jobs, at least 1. */
  threads?: number;
  force: boolean;
  /** Extra attempts for a run that fails (exception or killed worker); default 0. */
  retries?: number;
  failFast?: boolean;
  shard?: Shard;
  /** Run only these runs of the plan (`--only`); the tables still cover every complete run of the plan. */
  select?: RunSpec[];
  /** Take the shard's lock in the output directory (default true). */
  lock?: boolean;
  sink: EventSink;
  /** Called with every record of the plan that is complete so far (tables); returns the files written. */
  onRecords(records: RunRecord[]): string[];
  /** Workers started ahead (by `mixbench run`, while it checks data and resources); the sweep forks its own otherwise. */
  pool?: WorkerPool;
}

export interface SweepResult {
  /** Every valid record of the plan in the output directory (all shards): what the tables show. */
  records: RunRecord[];
  /** The records of this shard's runs. */
  shardRecords: RunRecord[];
  ran: number;
  skipped: number;
  interrupted: boolean;
  /** Id of the run that stopped the sweep under --fail-fast. */
  failedFast?: string;
  /** Runs of this shard without a final record when the sweep stopped. */
  incomplete: number;
}

interface Task {
  spec: RunSpec;
  index: number;
  attempt: number;
}

/** The queue shared by both execution modes: retries, fail-fast, stop. */
class Scheduler {
  readonly queue: Task[];
  stopping = false;
  interrupted = false;
  failedFast: string | undefined;
  ran = 0;
  /** A full disk or a vanished output directory: the sweep stops and reports it (exit 2). */
  storage: StorageError | undefined;
  /** Runs handed out and not finished: incomplete if the sweep stops now. */
  readonly running = new Set<string>();
  onStop: (hard: boolean) => void = () => undefined;
  private signals = 0;

  constructor(
    todo: RunSpec[],
    private readonly opts: SweepOptions,
    private readonly done: Map<string, RunRecord>,
    private readonly writeTables: () => void,
  ) {
    this.queue = todo.map((spec, i) => ({ spec, index: i + 1, attempt: 1 }));
  }

  get total(): number {
    return this.queue.length + this.ran;
  }

  next(): Task | undefined {
    const task = this.stopping ? undefined : this.queue.shift();
    if (task) this.running.add(task.spec.id);
    return task;
  }

  /** Stop handing out runs after a storage failure; runs in flight are stopped and left incomplete. */
  halt(err: StorageError): void {
    this.storage ??= err;
    if (this.stopping) return;
    this.stopping = true;
    this.onStop(false);
  }

  hasWork(): boolean {
    return !this.stopping && this.queue.length > 0;
  }

  signal = (): void => {
    this.signals += 1;
    this.interrupted = true;
    this.stopping = true;
    this.onStop(this.signals > 1);
  };

  finished(task: Task, rec: RunRecord, worker: number): void {
    const willRetry = rec.status === 'failed' && task.attempt <= (this.opts.retries ?? 0) && !this.stopping;
    this.opts.sink({
      type: 'run_finished', id: rec.id, status: rec.status, bestAccuracy: rec.metrics?.bestAccuracy ?? null,
      lastAccuracy: rec.metrics?.lastAccuracy ?? null, seconds: rec.wallSeconds, error: rec.error, worker, attempt: task.attempt, willRetry,
    });
    this.done.set(rec.id, rec);
    this.running.delete(rec.id);
    if (willRetry) {
      this.queue.unshift({ ...task, attempt: task.attempt + 1 });
      this.writeTables();
      return;
    }
    this.ran += 1;
    this.writeTables();
    if (this.opts.failFast && rec.status !== 'ok' && !this.stopping) {
      this.failedFast = rec.id;
      this.opts.sink({ type: 'notice', message: `--fail-fast: ${rec.id} ${rec.status}; stopping the sweep (runs in flight are left incomplete)` });
      this.stopping = true;
      this.onStop(false);
    }
  }
}

export async function runSweep(plan: Plan, opts: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const shard = opts.shard ?? WHOLE;
  const mine = selectShard(opts.select ?? plan.runs, shard);
  const mineIds = new Set(mine.map((r) => r.id));
  const lock: HeldLock | undefined = opts.lock === false ? undefined : acquireSweepLock(plan.output, shard);
  try {
    if (lock?.tookOver) opts.sink({ type: 'notice', message: `took over a stale lock (${lock.tookOver}): ${lock.path}` });
    const done = new Map<string, RunRecord>();
    const todo: RunSpec[] = [];
    let incompleteBefore = 0;
    let failedBefore = 0;
    const stale: string[] = [];
    const newer: string[] = [];
    for (const spec of mine) {
      const found = inspectRunDir(runDir(plan.output, spec.id), spec.id);
      if (found.state === 'newer') newer.push(`${runDir(plan.output, spec.id)}: ${found.reason}`);
      if (found.state === 'stale') stale.push(spec.id);
      const rec = found.state === 'complete' ? found.record : undefined;
      // A record that will be redone (failed, or --force) stays in the tables until its replacement is written.
      if (rec) done.set(spec.id, rec);
      if (rec && rec.status !== 'failed' && !opts.force) continue;
      if (rec?.status === 'failed') failedBefore += 1;
      else if (!rec && found.state !== 'missing') incompleteBefore += 1;
      todo.push(spec);
    }
    if (newer.length) {
      throw new UsageError(
        `${newer.length} record${newer.length === 1 ? '' : 's'} in ${plan.output} ${newer.length === 1 ? 'was' : 'were'} written by a newer mixbench ` +
          `(e.g. ${newer[0]}); run this sweep with that version, or into another output directory (-o).`,
      );
    }
    const skipped = mine.length - todo.length;
    opts.sink({
      type: 'plan', experiment: plan.experiment, total: mine.length, todo: todo.length, complete: skipped, output: plan.output,
      shard: shardLabel(shard), shardSource: shard.source, planTotal: plan.runs.length, incomplete: incompleteBefore,
    });
    if (failedBefore) opts.sink({ type: 'notice', message: `redoing ${failedBefore} run${failedBefore === 1 ? '' : 's'} that failed before` });
    if (stale.length) {
      opts.sink({
        type: 'notice',
        message: `redoing ${stale.length} run${stale.length === 1 ? '' : 's'} recorded before a change of what ${stale.length === 1 ? 'it computes' : 'they compute'} (e.g. ${stale[0]}; the record version says which)`,
      });
    }

    // Records of other shards found in the directory (complete records do not change, so they are cached).
    const others = new Map<string, RunRecord>();
    const tableRecords = (): RunRecord[] =>
      plan.runs
        .map((spec) => {
          const own = done.get(spec.id);
          if (own || mineIds.has(spec.id)) return own;
          let rec = others.get(spec.id);
          if (!rec) {
            rec = readRunRecord(plan.output, spec);
            if (rec && rec.status !== 'failed') others.set(spec.id, rec);
          }
          return rec;
        })
        .filter((r): r is RunRecord => !!r);
    const writeTables = (): string[] => withTablesLock(plan.output, () => opts.onRecords(tableRecords()));

    const sched: Scheduler = new Scheduler(todo, opts, done, () => {
      try {
        writeTables();
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        sched.halt(err);
      }
    });
    process.on('SIGINT', sched.signal);
    process.on('SIGTERM', sched.signal);
    try {
      const jobs = Math.max(1, Math.min(opts.jobs, todo.length || 1));
      if (todo.length) {
        if (opts.jobs === 1) await runInProcess(plan, sched, opts);
        else await runInWorkers(plan, sched, jobs, opts);
      }
    } finally {
      process.off('SIGINT', sched.signal);
      process.off('SIGTERM', sched.signal);
    }
    if (sched.storage) {
      const complete = mine.filter((r) => done.get(r.id) && done.get(r.id)!.status !== 'failed').length;
      throw sweepStoppedError(sched.storage, { output: plan.output, complete, inFlight: [...sched.running] });
    }
    const files = writeTables();
    opts.sink({ type: 'tables', files });
    // With --force, an old record of a run that was not redone (interrupted) still counts: it is valid and complete.
    const shardRecords = mine.map((r) => done.get(r.id)).filter((r): r is RunRecord => !!r);
    const incomplete = mine.length - shardRecords.length;
    opts.sink({
      type: 'done',
      ok: shardRecords.filter((r) => r.status === 'ok').length,
      failed: shardRecords.filter((r) => r.status === 'failed').length,
      diverged: shardRecords.filter((r) => r.status === 'diverged').length,
      skipped,
      seconds: (Date.now() - started) / 1000,
      incomplete,
    });
    return { records: tableRecords(), shardRecords, ran: sched.ran, skipped, interrupted: sched.interrupted, failedFast: sched.failedFast, incomplete };
  } finally {
    lock?.release();
  }
}

async function runInProcess(plan: Plan, sched: Scheduler, opts: SweepOptions): Promise<void> {
  const { loadBackend } = await import('../backend');
  const { configureOps } = await import('../model/ops');
  const { executeRun } = await import('./single');
  if (opts.threads !== undefined) setThreadEnv(process.env, opts.threads);
  const backend = await loadBackend(opts.backend);
  configureOps(backend.name);
  opts.sink({ type: 'backend', summary: backend.summary });
  sched.onStop = (hard) => {
    if (hard) {
      // Second Ctrl-C: records and tables are written atomically, so leaving now loses only the run in flight.
      process.stderr.write('interrupted twice: exiting now\n');
      process.exit(130);
    }
  };
  const total = sched.total;
  for (let task = sched.next(); task; task = sched.next()) {
    const { spec } = task;
    opts.sink({ type: 'run_started', id: spec.id, index: task.index, total, epochs: spec.train.epochs, worker: 0, attempt: task.attempt });
    let rec: RunRecord;
    try {
      rec = await executeRun(spec, plan.output, backend, {
        onEpoch: (r, epochs) => opts.sink({ type: 'epoch', id: spec.id, epoch: r.epoch, epochs, trainLoss: r.trainLoss, testAccuracy: r.testAccuracy, worker: 0 }),
        shouldStop: () => sched.stopping,
        attempt: task.attempt,
      });
    } catch (err) {
      if (err instanceof InterruptedError) return;
      if (err instanceof StorageError) return sched.halt(err);
      throw err;
    }
    sched.finished(task, rec, 0);
  }
}

interface WorkerSlot {
  worker: PooledWorker;
  slot: number;
  ready: boolean;
  task: Task | undefined;
  taskStarted: number;
  environment: RunEnvironment | undefined;
}

async function runInWorkers(plan: Plan, sched: Scheduler, jobs: number, opts: SweepOptions): Promise<void> {
  const cores = cpus().length;
  const threads = threadsPerWorker(jobs, cores, opts.threads);
  const pool = opts.pool ?? new WorkerPool(opts.backend, threads, distinctDatasets(sched.queue.map((t) => t.spec)), 0);
  const total = sched.total;
  const live = new Set<WorkerSlot>();
  let announced = false;
  let fatal: Error | undefined;
  if (jobs > cores) opts.sink({ type: 'notice', message: `${jobs} workers on ${cores} cores: they will compete for the CPU` });

  await new Promise<void>((resolve) => {
    sched.onStop = (hard) => {
      for (const w of live) w.worker.proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    };

    const feed = (w: WorkerSlot): void => {
      const task = sched.next();
      w.task = task;
      w.taskStarted = Date.now();
      const msg: ToWorker = task
        ? { type: 'run', spec: task.spec, output: plan.output, index: task.index, total, attempt: task.attempt }
        : { type: 'exit' };
      w.worker.proc.send(msg);
    };

    // The failed record of a run whose worker died; undefined when the disk refuses it too (the sweep then stops).
    const recordFailure = (task: Task, w: WorkerSlot, error: string): RunRecord | undefined => {
      try {
        return failedRecord(plan, task, w, error);
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        sched.halt(err);
        return undefined;
      }
    };

    const spawn = (slot: number): void => {
      const worker = pool.take(slot);
      const w: WorkerSlot = { worker, slot, ready: false, task: undefined, taskStarted: 0, environment: undefined };
      live.add(w);
      worker.listen((msg) => {
        switch (msg.type) {
          case 'ready':
            w.ready = true;
            w.environment = msg.environment;
            if (!announced) {
              announced = true;
              const each = msg.threads === null ? `${threads} thread${threads === 1 ? '' : 's'} each` : `${msg.threads} thread${msg.threads === 1 ? '' : 's'} each`;
              opts.sink({ type: 'backend', summary: `${msg.summary} × ${jobs} worker process${jobs === 1 ? '' : 'es'} (${each}, ${cores} cores)` });
            }
            feed(w);
            break;
          case 'event':
            opts.sink(msg.event);
            break;
          case 'finished': {
            const task = w.task;
            if (!task || task.spec.id !== msg.id) break;
            w.task = undefined;
            // An ok run changes nothing the queue depends on (retries, --fail-fast): the worker gets its next run
            // before the parent reads the record and rewrites the tables, instead of idling while it does.
            if (msg.status === 'ok') feed(w);
            const rec = readRunRecord(plan.output, task.spec) ?? recordFailure(task, w, `the worker finished ${msg.id} but its record is missing or unreadable`);
            if (rec) sched.finished(task, rec, w.slot);
            if (msg.status !== 'ok') feed(w);
            break;
          }
          case 'storage':
            sched.halt(new StorageError(msg.message, msg.path, msg.code));
            break;
          case 'fatal':
            fatal = new BackendError(msg.message);
            sched.stopping = true;
            sched.onStop(false);
            break;
        }
      }, (code, signal) => {
        live.delete(w);
        const task = w.task;
        w.task = undefined;
        if (task && !sched.stopping && !fatal) {
          const tail = worker.stderr().trim().split('\n').filter((l) => l.trim() && !/TensorFlow\.js|tfjs-node|={5,}/.test(l)).slice(-3).join(' | ');
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          const rec = recordFailure(task, w, `worker ${w.slot} (pid ${worker.proc.pid}) ${how} during this run${tail ? `: ${tail}` : ''}`);
          if (rec) {
            opts.sink({ type: 'notice', message: `worker ${w.slot} ${how} during ${task.spec.id}; recorded as failed${sched.hasWork() ? ', starting a new worker' : ''}` });
            sched.finished(task, rec, w.slot);
          }
        } else if (!w.ready && !sched.stopping && !fatal) {
          fatal = new Error(`worker ${w.slot} exited before loading its backend (${signal ?? `code ${code}`}): ${worker.stderr().trim().split('\n').slice(-3).join(' | ')}`);
          sched.stopping = true;
          sched.onStop(false);
        }
        if (!sched.stopping && !fatal && sched.hasWork() && live.size < jobs) spawn(w.slot);
        if (live.size === 0) resolve();
      });
    };

    for (let k = 0; k < jobs; k++) spawn(k + 1);
    pool.close(); // workers started ahead beyond what the remaining runs need
  });
  if (fatal) throw fatal;
}

/** The record of a run whose worker died: written by the parent so that the failure is kept (and redone next time). */
function failedRecord(plan: Plan, task: Task, w: WorkerSlot, error: string): RunRecord {
  const rec: RunRecord = {
    format: recordFormat(),
    id: task.spec.id,
    status: 'failed',
    spec: task.spec,
    metrics: null,
    curve: [],
    environment: w.environment ?? unknownEnvironment(),
    error,
    wallSeconds: w.taskStarted ? (Date.now() - w.taskStarted) / 1000 : 0,
    finishedAt: new Date().toISOString(),
    attempt: task.attempt,
  };
  writeRunRecord(plan.output, rec);
  return rec;
}

function unknownEnvironment(): RunEnvironment {
  return {
    node: process.version, tfjs: 'unknown', backend: 'unknown', backendPackage: 'unknown', threads: null, device: null,
    platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, gitCommit: null, mixbench: 'unknown',
  };
}
