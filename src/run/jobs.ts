/**
 * The default number of worker processes of a sweep (`--jobs`): one per core, as many as the free memory holds.
 * Each worker is a single-threaded wasm (or cpu) backend, so one per core uses the machine; a worker peaks at
 * 0.13–0.45 GB on the bundled datasets and 2.7 GB on the 32×32×3 reference Transformer (docs/performance.md), so
 * WORKER_MEMORY_BYTES keeps the larger models from swapping.
 */
import { availableParallelism, cpus, freemem } from 'node:os';

export const WORKER_MEMORY_BYTES = 2 * 2 ** 30;

/** min(cores, ⌊free memory ÷ WORKER_MEMORY_BYTES⌋), at least 1. */
export function defaultJobs(cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length, freeBytes = freemem()): number {
  return Math.max(1, Math.min(cores, Math.floor(freeBytes / WORKER_MEMORY_BYTES)));
}
