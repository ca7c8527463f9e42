/**
 * What users write (`ExperimentFile`) and what code uses (`ResolvedExperiment`). Only `resolve.ts` knows the defaults.
 * Method entries are checked separately (src/config/methods.ts) because their options depend on the method.
 */
import { z } from 'zod';
import { DatasetEntrySchema, type ResolvedDataset } from '../data/spec';
import { ClaimSchema, ReportSchema, type ReportSettings } from '../report/settings';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const ModelSchema = z.strictObject({
  type: z.enum(['transformer', 'mlp']).default('transformer'),
  dim: z.number().int().positive().optional(),
  depth: z.number().int().min(0).optional(),
  heads: z.number().int().positive().optional(),
  mlpDim: z.number().int().positive().optional(),
  patch: z.number().int().positive().optional(),
  pool: z.enum(['mean', 'cls']).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  hidden: z.array(z.number().int().positive()).optional(),
});

export const TrainSchema = z.strictObject({
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().min(2, 'batchSize must be at least 2 (mixing needs pairs)').optional(),
  optimizer: z.enum(['adamw', 'adam', 'sgd']).optional(),
  lr: z.number().positive().optional(),
  weightDecay: z.number().min(0).optional(),
  momentum: z.number().min(0).lt(1).optional(),
  nesterov: z.boolean().optional(),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  eps: z.number().positive().optional(),
  schedule: z.enum(['constant', 'cosine']).optional(),
  warmupEpochs: z.number().min(0).optional(),
  gradClip: z.number().positive().optional(),
  evalBatchSize: z.number().int().positive().optional(),
});

export const ExperimentFileSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'name may use letters, digits, ".", "_" and "-" only'),
  seeds: z.union([z.array(z.number().int()).min(1), z.number().int().positive()]).optional(),
  datasets: z.array(DatasetEntrySchema).min(1),
  methods: z.array(z.unknown()).min(1),
  noise: z.array(z.unknown()).min(1).optional(),
  model: ModelSchema.optional(),
  train: TrainSchema.optional(),
  backend: z.enum(BACKENDS).optional(),
  splitSeed: z.number().int().positive().optional(),
  output: z.string().min(1).optional(),
  /** Train K members per (dataset, noise, method, seed) with group augmentation and evaluate the ensemble. */
  ensemble: z
    .strictObject({
      members: z.number().int().min(1).max(1000),
      augment: z.strictObject({ group: z.enum(['c4', 'flip', 'none']) }).optional(),
      /** The group the equivariance diagnostics use (default: the augmentation group). */
      measure: z.strictObject({ group: z.enum(['c4', 'flip', 'none']) }).optional(),
    })
    .optional(),
  /** Report settings (never part of run ids): `{metric: best | last | median-last-k, k}`. */
  report: ReportSchema.optional(),
  /** Machine-readable claims that `mixbench report` checks, e.g. `{better: mixup, than: baseline, metric: last, noise: 0.4}`. */
  claims: z.array(ClaimSchema).optional(),
});
export type ExperimentFile = z.infer<typeof ExperimentFileSchema>;

export interface ResolvedTransformer {
  type: 'transformer';
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
  patch: number;
  pool: 'mean' | 'cls';
  dropout: number;
}

export interface ResolvedMlp {
  type: 'mlp';
  hidden: number[];
  dropout: number;
}

export type ResolvedModel = ResolvedTransformer | ResolvedMlp;

export interface ResolvedTrain {
  epochs: number;
  batchSize: number;
  optimizer: 'adamw' | 'adam' | 'sgd';
  lr: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  schedule: 'constant' | 'cosine';
  warmupEpochs: number;
  gradClip: number | null;
  evalBatchSize: number;
}

/** One part of a (possibly composed) method: a catalogue name with its resolved options. */
export interface ResolvedMethodPart {
  method: string;
  options: Record<string, unknown>;
}

export interface ResolvedMethod {
  /** Display name, unique within the experiment. */
  name: string;
  /** The parts, first the main one; composition adds more. */
  parts: ResolvedMethodPart[];
}

export const LABEL_NOISE_TYPES = ['symmetric', 'uniform', 'asymmetric'] as const;
export const INPUT_NOISE_TYPES = ['gaussian', 'outliers'] as const;
export const TEXT_NOISE_TYPES = ['replace', 'delete'] as const;
export type NoiseType = 'none' | (typeof LABEL_NOISE_TYPES)[number] | (typeof INPUT_NOISE_TYPES)[number] | (typeof TEXT_NOISE_TYPES)[number];

/**
 * A noise setting, applied to the training split only (src/data/noise.ts). `none` is the clean data.
 * label: symmetric (exactly round(rate·n) labels moved to another class), uniform (round(rate·n) labels redrawn,
 * the true class included), asymmetric (round(rate·n) labels k → map[k], default k+1 mod K);
 * input: gaussian (rate = std relative to each feature's std, every example), outliers (round(rate·n) inputs replaced
 * by random inputs with random labels); text: replace / delete (each token with probability rate).
 */
export interface ResolvedNoise {
  /** Short label used in tables and run directories, e.g. "none", "symmetric-0.4". */
  label: string;
  /** kind, type and rate are always set by the resolver; absent (hand-made specs, older records) means none. */
  kind?: 'none' | 'label' | 'input' | 'text';
  type?: NoiseType;
  /** The rate (gaussian: the std relative to each feature's std); 0 for none. */
  rate?: number;
  /** asymmetric only: class k → map[k] (absent: k+1 mod K). */
  map?: number[];
}

/** Ensemble members and their group augmentation (null: no ensemble). */
export interface ResolvedEnsemble {
  members: number;
  /** Augmentation group: each training sample is transformed by a random element. */
  group: 'c4' | 'flip' | 'none';
  /** Group of the equivariance diagnostics on the test set. */
  measure: 'c4' | 'flip' | 'none';
}

export interface ResolvedExperiment {
  name: string;
  seeds: number[];
  datasets: ResolvedDataset[];
  methods: ResolvedMethod[];
  noise: ResolvedNoise[];
  model: ResolvedModel;
  train: ResolvedTrain;
  backend: BackendName;
  splitSeed: number;
  output: string;
  ensemble: ResolvedEnsemble | null;
  /** How tables rank and compare, and the claims to check; not part of any RunSpec. */
  report: ReportSettings;
}
