/**
 * What users write (`ExperimentFile`). What code uses is the resolved experiment (src/core/experiment.ts); only
 * `resolve.ts` knows the defaults. Method entries are checked separately (src/config/methods.ts) because their
 * options depend on the method; the noise axis is checked by `resolveNoise`.
 */
import { z } from 'zod';
import { ACCURACY_METRICS, BACKENDS, CLAIM_METRICS, DatasetSpecSchema, GROUPS, OPTIMIZERS, PAIRED_TESTS } from '../core/experiment';

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
  optimizer: z.enum(OPTIMIZERS).optional(),
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

/** A dataset entry: a built-in name, or an object naming a built-in with options, or a user's file with a `format`. */
export const DatasetEntrySchema = z.union([z.string().min(1), DatasetSpecSchema]);
export type DatasetEntry = z.infer<typeof DatasetEntrySchema>;

export const EnsembleSchema = z.strictObject({
  members: z.number().int().min(1).max(1000),
  augment: z.strictObject({ group: z.enum(GROUPS) }).optional(),
  /** The group the equivariance diagnostics use (default: the augmentation group). */
  measure: z.strictObject({ group: z.enum(GROUPS) }).optional(),
});

export const ReportSchema = z.strictObject({
  /** The accuracy statistic used for deltas, paired tests and ranks: best epoch, last epoch, or the median of the last k epochs. */
  metric: z.enum(ACCURACY_METRICS).optional(),
  /** k for median-last-k. */
  k: z.number().int().positive().optional(),
  /** Significance level for claims. */
  alpha: z.number().gt(0).lt(1).optional(),
  /** Paired test used for claims: paired t-test or exact Wilcoxon signed-rank. */
  test: z.enum(PAIRED_TESTS).optional(),
});
export type ReportFile = z.infer<typeof ReportSchema>;

const claimCommon = {
  /** Compared arm (the method's display name in the config). */
  than: z.string().min(1),
  metric: z.enum(CLAIM_METRICS).optional(),
  /** Noise setting: a rate (0 = clean, i.e. `none`) or a noise label as shown in the tables. */
  noise: z.union([z.number().min(0).lt(1), z.string().min(1)]).optional(),
  /** Dataset as named in the tables (e.g. `digits`, or `digits-train0.1` for limited data); default: every dataset. */
  dataset: z.string().min(1).optional(),
  /** For `notWorse`: the tolerated loss (in the metric's units, e.g. 0.01 = one accuracy point). */
  margin: z.number().min(0).optional(),
  /** Free text shown with the verdict (e.g. the paper's wording). */
  note: z.string().optional(),
};

/**
 * `better: A, than: B`: A beats B on the metric, significantly (paired over seeds). `effect`: the improvement the
 * paper reports, in the metric's units (0.02 = two accuracy points): a claim that does not hold is "inconclusive"
 * when the experiment could not have detected an improvement that large.
 */
export const BetterClaimSchema = z.strictObject({ better: z.string().min(1), ...claimCommon, effect: z.number().gt(0).optional() });
/** `notWorse: A, than: B, margin: m`: A is not worse than B by more than m (the 95% CI of the paired difference excludes −m). */
export const NotWorseClaimSchema = z.strictObject({ notWorse: z.string().min(1), ...claimCommon });
/**
 * `ensembleInvariant: A`: the full ensemble of A's members (config `ensemble:`) is more invariant than its members:
 * lower divergence (or higher OSP) than the members' own values, by a one-sample t-test over the members.
 */
export const EnsembleClaimSchema = z.strictObject({
  ensembleInvariant: z.string().min(1),
  metric: z.enum(['divergence', 'osp']).optional(),
  noise: claimCommon.noise,
  dataset: claimCommon.dataset,
  note: claimCommon.note,
});
export const ClaimFileSchema = z.union([BetterClaimSchema, NotWorseClaimSchema, EnsembleClaimSchema]);
export type ClaimFile = z.infer<typeof ClaimFileSchema>;

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
  ensemble: EnsembleSchema.optional(),
  /** Report settings (never part of run ids): `{metric: best | last | median-last-k, k, alpha, test}`. */
  report: ReportSchema.optional(),
  /** Machine-readable claims that `mixbench report` checks, e.g. `{better: mixup, than: baseline, metric: last, noise: 0.4}`. */
  claims: z.array(ClaimFileSchema).optional(),
});
export type ExperimentFile = z.infer<typeof ExperimentFileSchema>;
