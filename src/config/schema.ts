/**
 * What users write (`ExperimentFile`). What code uses is the resolved experiment (src/core/experiment.ts); only
 * `resolve.ts` knows the defaults. Method entries are checked separately (src/config/methods.ts) because their
 * options depend on the method; the noise axis is checked by `resolveNoise`.
 */
import { z } from 'zod';
import { ACCURACY_METRICS, AxisPlotSchema, BACKENDS, CLAIM_METRICS, DatasetSpecSchema, GROUPS, OPTIMIZERS, PAIRED_TESTS } from '../core/experiment';

export const ModelSchema = z.strictObject({
  type: z.enum(['transformer', 'mlp']).default('transformer').describe('transformer (a ViT-style encoder over patches, features or words) or mlp (images and tabular rows)'),
  dim: z.number().int().positive().optional().describe('transformer: token width'),
  depth: z.number().int().min(0).optional().describe('transformer: number of pre-norm blocks (self-attention + GELU MLP)'),
  heads: z.number().int().positive().optional().describe('transformer: attention heads; must divide dim'),
  mlpDim: z.number().int().positive().optional().describe('transformer: hidden width of each block\'s MLP (default 2·dim)'),
  patch: z.number().int().positive().optional().describe('transformer: side of the square image patches; must divide the image size'),
  pool: z.enum(['mean', 'cls']).optional().describe('transformer: mean over tokens (padding excluded) or a learned class token'),
  dropout: z.number().min(0).lt(1).optional().describe('dropout (transformer: embeddings, residual branches, MLP hidden units; mlp: hidden layers)'),
  hidden: z.array(z.number().int().positive()).optional().describe('mlp: widths of the hidden layers (a list: sweep it with {sweep: [[256], [128, 128]]})'),
});

export const TrainSchema = z.strictObject({
  epochs: z.number().int().positive().optional().describe('passes over the training split; the test split is evaluated after each'),
  batchSize: z.number().int().min(2, 'batchSize must be at least 2 (mixing needs pairs)').optional().describe('examples per step (the last partial batch of an epoch is dropped)'),
  optimizer: z.enum(OPTIMIZERS).optional().describe('adamw (decoupled decay), adam (L2 in the gradient) or sgd (momentum)'),
  lr: z.number().positive().optional().describe('peak learning rate (default 0.001; sgd: 0.05)'),
  weightDecay: z.number().min(0).optional().describe('weight decay of dense and projection weights (default 0.05 for adamw, else 0)'),
  momentum: z.number().min(0).lt(1).optional().describe('SGD momentum'),
  nesterov: z.boolean().optional().describe('SGD: Nesterov momentum'),
  beta1: z.number().min(0).lt(1).optional().describe('Adam/AdamW β1'),
  beta2: z.number().min(0).lt(1).optional().describe('Adam/AdamW β2'),
  eps: z.number().positive().optional().describe('Adam/AdamW ε'),
  schedule: z.enum(['constant', 'cosine']).optional().describe('learning-rate schedule after the warm-up: cosine (to 0 at the end) or constant'),
  warmupEpochs: z.number().min(0).optional().describe('linear warm-up length in epochs (may be fractional)'),
  gradClip: z.number().positive().optional().describe('clip the global gradient norm to this value (default: no clipping)'),
  evalBatchSize: z.number().int().positive().optional().describe('batch size of evaluation'),
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
  /** Plots of a metric against a swept setting, besides the automatic accuracy plot of every numeric axis. */
  plots: z.array(AxisPlotSchema.describe('a metric (y) against a swept numeric setting (x), e.g. {x: model.depth, y: oversmoothing}')).optional(),
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
  /** Setting values of the compared cells, by axis key, e.g. {model.depth: 8}; default: every cell of the other axes. */
  where: z.record(z.string(), z.unknown()).optional(),
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
  where: claimCommon.where,
  note: claimCommon.note,
});
export const ClaimFileSchema = z.union([BetterClaimSchema, NotWorseClaimSchema, EnsembleClaimSchema]);
export type ClaimFile = z.infer<typeof ClaimFileSchema>;

export const ExperimentFileSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'name may use letters, digits, ".", "_" and "-" only')
    .describe('the experiment; part of every run id and the default output directory results/<name>'),
  seeds: z.union([z.array(z.number().int()).min(1), z.number().int().positive()]).optional()
    .describe('the seeds: a list, or a count n meaning [1..n]'),
  datasets: z.array(DatasetEntrySchema).min(1)
    .describe('built-in names (digits, letters, spam-subjects, fashion-mnist, mnist-10k) or {name, ...options}, or your file with format and path'),
  methods: z.array(z.unknown()).min(1)
    .describe('the arms: a name, a one-key map name → options, or {method, name, options..., <other method>: options}; a list of option values sweeps it'),
  noise: z.array(z.unknown()).min(1).optional()
    .describe('the noise axis: none, {label: {type, rate}}, {input: {type, rate | std}}, {text: {type, rate}}; a list of rates expands'),
  model: ModelSchema.optional().describe('the network; a list of values (or {sweep: [...]}) sweeps a key'),
  train: TrainSchema.optional().describe('optimizer, schedule and epochs; a list of values (or {sweep: [...]}) sweeps a key'),
  backend: z.enum(BACKENDS).optional().describe('tfjs backend (the --backend flag overrides)'),
  splitSeed: z.number().int().positive().optional().describe('seed of the stratified train/test split of datasets without an official split'),
  output: z.string().min(1).optional().describe('output directory (default results/<name>; -o overrides)'),
  /** Train K members per (dataset, noise, method, seed) with group augmentation and evaluate the ensemble. */
  ensemble: EnsembleSchema.optional().describe('train K members per cell and seed with group augmentation and evaluate the ensemble'),
  /** Report settings (never part of run ids): `{metric: best | last | median-last-k, k, alpha, test}`. */
  report: ReportSchema.optional().describe('how tables compare arms, and axis plots; never part of run ids'),
  /** Machine-readable claims that `mixbench report` checks, e.g. `{better: mixup, than: baseline, metric: last, noise: 0.4}`. */
  claims: z.array(ClaimFileSchema).optional().describe('claims that mixbench report checks, e.g. {better: mixup, than: baseline, metric: last, noise: 0.4}'),
  /** Model and training axes that take their values together instead of being crossed, e.g. [[model.dim, model.mlpDim]]. */
  zip: z.array(z.array(z.string().min(1)).min(2)).min(1).optional()
    .describe('model/training axes that take their values together instead of being crossed, e.g. [[model.dim, model.mlpDim]]'),
});
export type ExperimentFile = z.infer<typeof ExperimentFileSchema>;
