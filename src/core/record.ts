/**
 * The run record (`runs/<id>/result.json`): the interface between training and reporting. It is versioned: `format`
 * is `mixbench-run/<version>`, and the version goes up whenever what a run computes, or the record's shape, changes.
 * What each version changed, and which older records stay valid, is in RECORD_HISTORY; records are parsed with
 * RunRecordSchema when read (src/store/records.ts), never cast.
 *
 * Named sections, each written by one producer:
 *   metrics, curve      the training loop (src/train/loop.ts)
 *   noise               the realised training-set noise (src/data/noise.ts)
 *   memorisation        noisy runs: the fit of the label-corrupted examples (src/train/memorisation.ts)
 *   oversmoothing       Transformer runs: token similarity per layer (src/train/oversmoothing.ts)
 *   orbit               ensemble members: where their test logits under the group are stored (src/train/orbit.ts)
 */
import { z } from 'zod';
import { RunSpecSchema } from './run';

export const RECORD_FORMAT = 'mixbench-run';
export const RECORD_VERSION = 2;

/**
 * Why each version was introduced. A record of an older version is used as it is unless `stale` says its
 * computation changed since (then a resumed sweep redoes it, and `mixbench report` leaves it out with a note).
 */
export const RECORD_HISTORY: { version: number; change: string }[] = [
  { version: 1, change: 'first versioned record' },
  {
    version: 2,
    change: 'the token-embedding table of text Transformers is no longer weight-decayed (embeddings are not decayed); ' +
      'records of text runs with weightDecay > 0 made before are stale, every other record of version 1 stays valid',
  },
];

/** A measurement that JSON may have turned into null (NaN or ±Infinity when written): read back as NaN. */
const measured = z.union([z.number(), z.null().transform(() => Number.NaN)]);

export const RUN_STATUSES = ['ok', 'diverged', 'failed'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const EpochRecordSchema = z.object({
  epoch: z.number().int().positive(),
  trainLoss: measured,
  testAccuracy: measured,
  testNll: measured,
  testEce: measured,
  lr: measured,
  seconds: z.number(),
  /** tf.memory().numTensors after the epoch (flat across epochs when nothing leaks). */
  numTensors: z.number(),
  /** Noisy runs: training accuracy on the label-corrupted examples against the noisy labels (memorisation)... */
  noisyFit: measured.optional(),
  /** ...and against their true labels (null for outliers, whose inputs were replaced). */
  trueFit: z.number().nullable().optional(),
});
export type EpochRecord = z.infer<typeof EpochRecordSchema>;

export const RunMetricsSchema = z.object({
  bestAccuracy: measured,
  lastAccuracy: measured,
  /** 1-based epoch of the best test accuracy (the first, on ties). */
  bestEpoch: z.number().int(),
  /** Test NLL and ECE of the final (last-epoch) model. */
  testNll: measured,
  ece: measured,
  finalTrainLoss: measured,
  trainSeconds: z.number(),
  samplesPerSec: measured,
  parameterCount: z.number().int(),
});
export type RunMetrics = z.infer<typeof RunMetricsSchema>;

export const RunEnvironmentSchema = z.object({
  node: z.string(),
  tfjs: z.string(),
  backend: z.string(),
  backendPackage: z.string(),
  threads: z.number().nullable(),
  device: z.string().nullable(),
  platform: z.string(),
  cpu: z.string(),
  cores: z.number(),
  gitCommit: z.string().nullable(),
  mixbench: z.string(),
});
export type RunEnvironment = z.infer<typeof RunEnvironmentSchema>;

/** What the noise changed on the training split. */
export const RealisedNoiseSchema = z.object({
  type: z.string(),
  rate: z.number(),
  /** Fraction of training labels that differ from the true label. */
  labelFraction: z.number(),
  /** Fraction of training inputs that changed. */
  inputFraction: z.number(),
  /** Text noise: fraction of real tokens replaced or deleted. */
  tokenFraction: z.number().optional(),
  /** Training examples whose label differs from the true one. */
  corrupted: z.number().int(),
});
export type RealisedNoise = z.infer<typeof RealisedNoiseSchema>;

/** Noisy runs: last-epoch fit of the label-corrupted training examples (also per epoch in `curve`). */
export const MemorisationSchema = z.object({
  examples: z.number().int(),
  noisyFit: measured,
  trueFit: z.number().nullable(),
});
export type Memorisation = z.infer<typeof MemorisationSchema>;

/** Mean pairwise cosine similarity of token representations at one layer output, averaged over test examples. */
export const LayerSimilaritySchema = z.object({
  /** 'embed' (token + position embedding) or 'block' (output of Transformer block `layer`, 0-based). */
  site: z.enum(['embed', 'block']),
  layer: z.number().int().nullable(),
  /** 0 for the embedding, l + 1 for block l: the x axis of the per-layer plot. */
  depth: z.number().int(),
  cosine: measured,
});

export const OversmoothingSchema = z.object({
  /** Test examples used (the first ones of the test split). */
  examples: z.number().int(),
  /** The CLS token (pool: cls) is excluded from the pairs; 'absent' when the model has none (pool: mean). */
  cls: z.enum(['excluded', 'absent']),
  /** Padding tokens (text, token id 0) are excluded from the pairs. */
  padding: z.enum(['excluded', 'absent']),
  layers: z.array(LayerSimilaritySchema),
});
export type Oversmoothing = z.infer<typeof OversmoothingSchema>;

/**
 * Where an ensemble member's test logits under its group are stored, next to the record: `file` holds
 * elements × examples × classes float32 logits (identity element first), then the examples' int32 test labels,
 * little-endian.
 */
export const OrbitInfoSchema = z.object({
  file: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a file name in the run directory'),
  group: z.string(),
  elements: z.number().int().positive(),
  examples: z.number().int().positive(),
  classes: z.number().int().positive(),
});
export type OrbitInfo = z.infer<typeof OrbitInfoSchema>;

export const RunRecordSchema = z.object({
  /** `mixbench-run/<version>`. */
  format: z.string().regex(/^mixbench-run\/\d+$/),
  id: z.string().min(1),
  status: RunStatusSchema,
  spec: RunSpecSchema,
  metrics: RunMetricsSchema.nullable(),
  curve: z.array(EpochRecordSchema),
  environment: RunEnvironmentSchema,
  error: z.string().nullable(),
  wallSeconds: z.number(),
  finishedAt: z.string(),
  /** Which attempt produced this record (1 unless the sweep retried the run, `--retries`). */
  attempt: z.number().int().positive().optional(),
  noise: RealisedNoiseSchema.nullable().optional(),
  memorisation: MemorisationSchema.nullable().optional(),
  oversmoothing: OversmoothingSchema.nullable().optional(),
  orbit: OrbitInfoSchema.nullable().optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** The format string of records written now. */
export function recordFormat(version = RECORD_VERSION): string {
  return `${RECORD_FORMAT}/${version}`;
}

/** The version of a format string, or undefined when it is not a mixbench run record's. */
export function recordVersion(format: unknown): number | undefined {
  if (typeof format !== 'string') return undefined;
  const m = /^mixbench-run\/(\d+)$/.exec(format);
  return m ? Number(m[1]) : undefined;
}
