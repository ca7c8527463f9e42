/**
 * A worker process: loads its own backend, then executes the runs the parent sends, one at a time, and reports
 * events over IPC. A run interrupted by SIGTERM leaves no `done` marker, so the next sweep redoes it.
 */
import type { RunSpec } from '../config/plan';
import type { BackendName } from '../config/schema';
import type { SweepEvent } from './events';

export type ToWorker = { type: 'run'; spec: RunSpec; output: string; index: number; total: number } | { type: 'exit' };
export type FromWorker =
  | { type: 'ready'; summary: string }
  | { type: 'event'; event: SweepEvent }
  | { type: 'finished'; id: string; status: string }
  | { type: 'fatal'; message: string; exitCode: number };

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const backendName = (process.env.MIXBENCH_WORKER_BACKEND ?? 'auto') as BackendName;
  const workerId = Number(process.env.MIXBENCH_WORKER_ID ?? 0);
  const { loadBackend } = await import('../backend');
  const { configureOps } = await import('../model/ops');
  const { executeRun } = await import('./single');
  let backend;
  try {
    backend = await loadBackend(backendName);
  } catch (err) {
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err), exitCode: 2 });
    process.exit(2);
  }
  configureOps(backend.name);
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
  });
  process.on('SIGINT', () => {
    stopping = true;
  });
  send({ type: 'ready', summary: backend.summary });
  process.on('message', async (msg: ToWorker) => {
    if (msg.type === 'exit') process.exit(0);
    if (msg.type !== 'run') return;
    const { spec, output, index, total } = msg;
    send({ type: 'event', event: { type: 'run_started', id: spec.id, index, total, epochs: spec.train.epochs, worker: workerId } });
    try {
      const rec = await executeRun(spec, output, backend, {
        onEpoch: (r, epochs) =>
          send({ type: 'event', event: { type: 'epoch', id: spec.id, epoch: r.epoch, epochs, trainLoss: r.trainLoss, testAccuracy: r.testAccuracy, worker: workerId } }),
        shouldStop: () => stopping,
      });
      send({
        type: 'event',
        event: {
          type: 'run_finished', id: spec.id, status: rec.status, bestAccuracy: rec.metrics?.bestAccuracy ?? null,
          lastAccuracy: rec.metrics?.lastAccuracy ?? null, seconds: rec.wallSeconds, error: rec.error, worker: workerId,
        },
      });
      send({ type: 'finished', id: spec.id, status: rec.status });
    } catch {
      // Interrupted: leave the run incomplete.
      process.exit(130);
    }
  });
}

void main();
