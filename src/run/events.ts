/** Events of a sweep: rendered as progress bars, plain log lines, or NDJSON on stdout. */
import type { RunStatus } from './record';

export type SweepEvent =
  | { type: 'backend'; summary: string }
  | {
      type: 'plan'; experiment: string; total: number; todo: number; complete: number; output: string;
      /** "i/N" and where it came from; `planTotal` counts the runs of every shard. */
      shard?: string; shardSource?: string; planTotal?: number;
      /** Runs with a directory but no valid record (interrupted, half-written or corrupt): redone. */
      incomplete?: number;
    }
  | { type: 'run_started'; id: string; index: number; total: number; epochs: number; worker: number; attempt?: number }
  | { type: 'epoch'; id: string; epoch: number; epochs: number; trainLoss: number; testAccuracy: number; worker: number }
  | {
      type: 'run_finished'; id: string; status: RunStatus; bestAccuracy: number | null; lastAccuracy: number | null; seconds: number;
      error: string | null; worker: number; attempt?: number; willRetry?: boolean;
    }
  | { type: 'notice'; message: string }
  | { type: 'tables'; files: string[] }
  | { type: 'done'; ok: number; failed: number; diverged: number; skipped: number; seconds: number; incomplete?: number };

export type EventSink = (e: SweepEvent) => void;
