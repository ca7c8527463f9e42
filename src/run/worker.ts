/**
 * A worker process: loads its own backend, then executes the runs the parent sends, one at a time, and reports
 * events over IPC. A run interrupted by SIGTERM/SIGINT leaves no `done` marker, so the next sweep redoes it. When the
 * parent goes away (killed with -9, say) the IPC channel closes and the worker exits at once, leaving its run incomplete.
 */
import { BackendNameSchema, type BackendName } from '../core/experiment';
import { StorageError } from '../util/fs';
import { WORKER_BACKEND, WORKER_DATASETS, WORKER_ID, type DatasetKey, type FromWorker, type ToWorker } from './worker-protocol';

function send(msg: FromWorker): void {
  if (process.connected) process.send?.(msg);
}

async function main(): Promise<void> {
  // Set by the sweep that forks this worker (src/run/pool.ts), from the resolved backend.
  const parsedBackend = BackendNameSchema.safeParse(process.env[WORKER_BACKEND]);
  if (!parsedBackend.success) {
    send({ type: 'fatal', message: `worker started without a valid ${WORKER_BACKEND} (got ${JSON.stringify(process.env[WORKER_BACKEND] ?? null)})`, exitCode: 2 });
    process.exit(2);
  }
  const backendName: BackendName = parsedBackend.data;
  const workerId = Number(process.env[WORKER_ID]);
  let stopping = false;
  let busy = false;
  const stop = () => {
    stopping = true;
    if (!busy) process.exit(130);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', () => process.exit(130));

  const { loadBackend } = await import('../backend');
  const { configureOps } = await import('../model/ops');
  const { executeRun } = await import('./single');
  const { environment } = await import('./env');
  let backend;
  try {
    backend = await loadBackend(backendName);
  } catch (err) {
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err), exitCode: 2 });
    process.exit(2);
  }
  configureOps(backend.name);
  // The sweep's datasets, loaded while the parent is still checking them: the first run then starts training at once.
  // A dataset that fails to load here fails its run later, with the run's own error.
  const { datasetFor } = await import('../data/cache');
  for (const key of JSON.parse(process.env[WORKER_DATASETS] ?? '[]') as DatasetKey[]) {
    if (stopping) break;
    try {
      datasetFor(key);
    } catch {
      break;
    }
  }
  if (stopping) process.exit(130);
  send({ type: 'ready', summary: backend.summary, environment: environment(backend), threads: backend.threads });
  process.on('message', async (msg: ToWorker) => {
    if (msg.type === 'exit') process.exit(stopping ? 130 : 0);
    if (msg.type !== 'run') return;
    if (stopping) process.exit(130);
    busy = true;
    const { spec, output, index, total, attempt } = msg;
    send({ type: 'event', event: { type: 'run_started', id: spec.id, index, total, epochs: spec.train.epochs, worker: workerId, attempt } });
    try {
      const rec = await executeRun(spec, output, backend, {
        onEpoch: (r, epochs) =>
          send({ type: 'event', event: { type: 'epoch', id: spec.id, epoch: r.epoch, epochs, trainLoss: r.trainLoss, testAccuracy: r.testAccuracy, worker: workerId } }),
        shouldStop: () => stopping,
        attempt,
      });
      busy = false;
      send({ type: 'finished', id: spec.id, status: rec.status });
      if (stopping) process.exit(130);
    } catch (err) {
      // The disk failed under the run's record: the parent stops the sweep; the run stays incomplete.
      if (err instanceof StorageError && process.connected) {
        process.send!({ type: 'storage', message: err.message, path: err.path, code: err.code } satisfies FromWorker, () => process.exit(2));
        return;
      }
      // Interrupted: leave the run incomplete.
      process.exit(130);
    }
  });
}

void main();
