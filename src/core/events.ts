/** Events of a sweep: rendered as progress bars, plain log lines, or NDJSON on stdout (`mixbench run --json`). */
import { z } from 'zod';
import { RunStatusSchema } from './record';

export const SweepEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('backend'), summary: z.string() }),
  z.object({
    type: z.literal('plan'), experiment: z.string(), total: z.number(), todo: z.number(), complete: z.number(), output: z.string(),
    /** "i/N" and where it came from; `planTotal` counts the runs of every shard. */
    shard: z.string().optional(), shardSource: z.string().optional(), planTotal: z.number().optional(),
    /** Runs with a directory but no valid record (interrupted, half-written, corrupt or stale): redone. */
    incomplete: z.number().optional(),
  }),
  z.object({
    type: z.literal('run_started'), id: z.string(), index: z.number(), total: z.number(), epochs: z.number(), worker: z.number(),
    attempt: z.number().optional(),
  }),
  z.object({
    type: z.literal('epoch'), id: z.string(), epoch: z.number(), epochs: z.number(), trainLoss: z.number(), testAccuracy: z.number(),
    worker: z.number(),
  }),
  z.object({
    type: z.literal('run_finished'), id: z.string(), status: RunStatusSchema, bestAccuracy: z.number().nullable(),
    lastAccuracy: z.number().nullable(), seconds: z.number(), error: z.string().nullable(), worker: z.number(),
    attempt: z.number().optional(), willRetry: z.boolean().optional(),
  }),
  z.object({ type: z.literal('notice'), message: z.string() }),
  z.object({ type: z.literal('tables'), files: z.array(z.string()) }),
  z.object({
    type: z.literal('done'), ok: z.number(), failed: z.number(), diverged: z.number(), skipped: z.number(), seconds: z.number(),
    incomplete: z.number().optional(),
  }),
]);
export type SweepEvent = z.infer<typeof SweepEventSchema>;

export type EventSink = (e: SweepEvent) => void;
