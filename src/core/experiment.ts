/**
 * The resolved experiment: what the config layer hands to planning, training and reporting once every default is
 * filled in (src/config/resolve.ts). Zod schemas with the types inferred from them; no defaults here.
 */
import { z } from 'zod';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const BackendNameSchema = z.enum(BACKENDS);
export type BackendName = z.infer<typeof BackendNameSchema>;

export const MODALITIES = ['image', 'tabular', 'text'] as const;
export type Modality = (typeof MODALITIES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Dataset spec: a built-in name with options, or a user's file with a `format`. The written form of a dataset entry
// (a bare name or this object) is in src/config/schema.ts; a resolved dataset is always this object.

export const DATA_FORMATS = ['csv', 'text', 'idx', 'cifar'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export const TEXT_LAYOUTS = ['tsv', 'csv', 'sst2', 'trec'] as const;
export type TextLayout = (typeof TEXT_LAYOUTS)[number];

export const DatasetSpecSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9._+-]+$/, 'dataset names may use letters, digits, ".", "_", "+" and "-" only')
    .describe('a built-in dataset, or the name of your file\'s dataset (with format and path)'),
  limit: z.number().int().positive().optional().describe('Use at most this many examples per split (quick runs).'),
  trainFraction: z.number().gt(0).max(1).optional().describe('Keep this fraction of the training split (stratified, seeded by the split seed).'),
  trainSize: z.number().int().positive().optional().describe('Keep this many training examples (stratified, seeded by the split seed).'),
  testFraction: z.number().gt(0).lt(1).optional().describe('Fraction held out as test when the data has no official split (default 0.2).'),
  maxLength: z.number().int().min(1).max(1024).optional().describe('Text: tokens kept per example (longer texts are cut, shorter ones padded with 0).'),
  maxVocab: z.number().int().min(2).optional().describe('Text: vocabulary cap (most frequent training words; the rest become OOV).'),
  format: z.enum(DATA_FORMATS).optional().describe('A user\'s file: how to read it.'),
  path: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe('csv/text: the data file (train + test, or train only with testPath); idx: the images file; cifar: batch file(s).'),
  testPath: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe('The official test file(s) (idx: test images).'),
  label: z.union([z.string().min(1), z.number().int().min(0)]).optional().describe('csv/text: the label column (name, or 0-based index); default label.'),
  text: z.union([z.string().min(1), z.number().int().min(0)]).optional().describe('text: the text column (name or 0-based index); default text (sentence for sst2).'),
  layout: z.enum(TEXT_LAYOUTS).optional().describe('text: the file layout; default from the file extension (.tsv → tsv, .csv → csv).'),
  categorical: z.enum(['onehot', 'reject']).optional().describe('csv: non-numeric columns are one-hot encoded (onehot, default) or refused (reject).'),
  labels: z.string().min(1).optional().describe('idx: the labels file.'),
  testLabels: z.string().min(1).optional().describe('idx: the test labels file.'),
  variant: z.union([z.literal(10), z.literal(100)]).optional().describe('cifar: 10 (3,073-byte records) or 100 (3,074-byte records).'),
  labelSet: z.enum(['coarse', 'fine']).optional().describe('trec: coarse (6 classes, default) or fine (50) labels; cifar-100: fine (100, default) or coarse (20).'),
});
export type ResolvedDataset = z.infer<typeof DatasetSpecSchema>;

/**
 * Defaults of dataset options, applied when the data is loaded (src/data/prepare.ts) rather than written into the
 * resolved spec: a run spec carries only what the config says, so that run ids made before a default was named
 * stay the same.
 */
export const DATASET_DEFAULTS = { testFraction: 0.2, maxLength: 32, maxVocab: 20000 } as const;

// ---------------------------------------------------------------------------------------------------------------
// Model and training.

export const ResolvedTransformerSchema = z.strictObject({
  type: z.literal('transformer'),
  dim: z.number().int().positive(),
  depth: z.number().int().min(0),
  heads: z.number().int().positive(),
  mlpDim: z.number().int().positive(),
  patch: z.number().int().positive(),
  pool: z.enum(['mean', 'cls']),
  dropout: z.number().min(0).lt(1),
});
export type ResolvedTransformer = z.infer<typeof ResolvedTransformerSchema>;

export const ResolvedMlpSchema = z.strictObject({
  type: z.literal('mlp'),
  hidden: z.array(z.number().int().positive()),
  dropout: z.number().min(0).lt(1),
});
export type ResolvedMlp = z.infer<typeof ResolvedMlpSchema>;

export const ResolvedModelSchema = z.discriminatedUnion('type', [ResolvedTransformerSchema, ResolvedMlpSchema]);
export type ResolvedModel = z.infer<typeof ResolvedModelSchema>;

export const OPTIMIZERS = ['adamw', 'adam', 'sgd'] as const;

export const ResolvedTrainSchema = z.strictObject({
  epochs: z.number().int().positive(),
  batchSize: z.number().int().min(2),
  optimizer: z.enum(OPTIMIZERS),
  lr: z.number().positive(),
  weightDecay: z.number().min(0),
  momentum: z.number().min(0).lt(1),
  nesterov: z.boolean(),
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  eps: z.number().positive(),
  schedule: z.enum(['constant', 'cosine']),
  warmupEpochs: z.number().min(0),
  gradClip: z.number().positive().nullable(),
  evalBatchSize: z.number().int().positive(),
});
export type ResolvedTrain = z.infer<typeof ResolvedTrainSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Methods: a method is a list of parts, each a catalogue name with its resolved options.

/** One part of a (possibly composed) method: a catalogue name with its resolved options. */
export const ResolvedMethodPartSchema = z.strictObject({
  method: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
});
export type ResolvedMethodPart = z.infer<typeof ResolvedMethodPartSchema>;

export const ResolvedMethodSchema = z.strictObject({
  /** Display name, unique within the experiment. */
  name: z.string().min(1),
  /** The parts, first the main one; composition adds more. */
  parts: z.array(ResolvedMethodPartSchema).min(1),
});
export type ResolvedMethod = z.infer<typeof ResolvedMethodSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Noise.

export const LABEL_NOISE_TYPES = ['symmetric', 'uniform', 'asymmetric'] as const;
export const INPUT_NOISE_TYPES = ['gaussian', 'outliers'] as const;
export const TEXT_NOISE_TYPES = ['replace', 'delete'] as const;
export const NOISE_TYPES = ['none', ...LABEL_NOISE_TYPES, ...INPUT_NOISE_TYPES, ...TEXT_NOISE_TYPES] as const;
export type NoiseType = (typeof NOISE_TYPES)[number];

/**
 * A noise setting, applied to the training split only (src/data/noise.ts). `none` is the clean data.
 * label: symmetric (exactly round(rate·n) labels moved to another class), uniform (round(rate·n) labels redrawn,
 * the true class included), asymmetric (round(rate·n) labels k → map[k], default k+1 mod K);
 * input: gaussian (rate = std relative to each feature's std, every example), outliers (round(rate·n) inputs replaced
 * by random inputs with random labels); text: replace / delete (each token with probability rate).
 */
export const ResolvedNoiseSchema = z.strictObject({
  /** Short label used in tables and run directories, e.g. "none", "symmetric-0.4". */
  label: z.string().min(1),
  /** kind, type and rate are always set by the resolver; absent (records of early versions) means none. */
  kind: z.enum(['none', 'label', 'input', 'text']).optional(),
  type: z.enum(NOISE_TYPES).optional(),
  /** The rate (gaussian: the std relative to each feature's std); 0 for none. */
  rate: z.number().min(0).optional(),
  /** asymmetric only: class k → map[k] (absent: k+1 mod K). */
  map: z.array(z.number().int().min(0)).optional(),
});
export type ResolvedNoise = z.infer<typeof ResolvedNoiseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Ensembles.

export const GROUPS = ['c4', 'flip', 'none'] as const;

/** Ensemble members and their group augmentation (null in the experiment: no ensemble). */
export const ResolvedEnsembleSchema = z.strictObject({
  members: z.number().int().min(1).max(1000),
  /** Augmentation group: each training sample is transformed by a random element. */
  group: z.enum(GROUPS),
  /** Group of the equivariance diagnostics on the test set. */
  measure: z.enum(GROUPS),
});
export type ResolvedEnsemble = z.infer<typeof ResolvedEnsembleSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Report settings and claims: never part of a run spec, so changing them never changes run ids.

export const ACCURACY_METRICS = ['best', 'last', 'median-last-k'] as const;
export type AccuracyMetric = (typeof ACCURACY_METRICS)[number];

/** Claim metrics: the accuracy statistics (higher is better) and diagnostics where lower is better. */
export const CLAIM_METRICS = ['best', 'last', 'median-last-k', 'gap', 'nll', 'ece', 'oversmoothing'] as const;
export type ClaimMetric = (typeof CLAIM_METRICS)[number];

export const PAIRED_TESTS = ['paired-t', 'wilcoxon'] as const;

export const ClaimSchema = z.strictObject({
  kind: z.enum(['better', 'notWorse', 'ensemble']),
  /** ensemble claims: the equivariance metric compared (ensemble vs its members). */
  ensembleMetric: z.enum(['divergence', 'osp']).optional(),
  method: z.string().min(1),
  than: z.string().min(1),
  metric: z.enum(CLAIM_METRICS),
  /** A rate (0 = clean) or a noise label as shown in the tables; absent: every noise setting. */
  noise: z.union([z.number(), z.string()]).optional(),
  /** A dataset label as shown in the tables; absent: every dataset. */
  dataset: z.string().optional(),
  /** Setting values the compared cells must have, by axis key (`model.depth: 8`, `neutreno.lambda: 0.6`). */
  where: z.record(z.string(), z.unknown()).optional(),
  margin: z.number().min(0),
  /** better: the improvement the paper reports (metric units), for the power check of a claim that does not hold. */
  effect: z.number().gt(0).optional(),
  note: z.string().optional(),
});
export type Claim = z.infer<typeof ClaimSchema>;

/**
 * A sweep axis (src/core/axes.ts): a setting key (`model.depth`, `train.lr`, `mixup.alpha`), its values in config
 * order, and the method entry name when the arms of that entry share it.
 */
export const AxisSchema = z.strictObject({
  key: z.string().min(1),
  values: z.array(z.unknown()).min(1),
  /** Option axes of an entry whose arms share its name: that name (their labels then show the option). */
  method: z.string().min(1).optional(),
});
export type Axis = z.infer<typeof AxisSchema>;

/** A plot of a metric against a swept numeric setting: `{x: model.depth, y: oversmoothing}`. */
export const AxisPlotSchema = z.strictObject({
  x: z.string().min(1),
  y: z.enum(CLAIM_METRICS),
});
export type AxisPlot = z.infer<typeof AxisPlotSchema>;

export const ReportSettingsSchema = z.strictObject({
  /** "The" accuracy statistic for deltas, paired tests and ranks. */
  metric: z.enum(ACCURACY_METRICS),
  /** k of median-last-k. */
  k: z.number().int().positive(),
  /** Significance level of claims. */
  alpha: z.number().gt(0).lt(1),
  /** Paired test of claims. */
  test: z.enum(PAIRED_TESTS),
  claims: z.array(ClaimSchema),
  /** The config's sweep axes (absent in settings saved before axes existed: then found from the runs alone). */
  axes: z.array(AxisSchema).optional(),
  /** Plots of a metric against a swept setting, besides the automatic ones (accuracy against every numeric axis). */
  plots: z.array(AxisPlotSchema).optional(),
});
export type ReportSettings = z.infer<typeof ReportSettingsSchema>;

// ---------------------------------------------------------------------------------------------------------------

/** One point of the model × training grid: a resolved model and training setting. */
export const GridPointSchema = z.strictObject({
  model: ResolvedModelSchema,
  train: ResolvedTrainSchema,
});
export type GridPoint = z.infer<typeof GridPointSchema>;

/** A sweep axis of the config as written: its key, values, and the axes it moves with (`zip`). */
export const SweepAxisSchema = AxisSchema.extend({
  /** The other keys of its zip group (they take their i-th values together); absent: crossed with every other axis. */
  zip: z.array(z.string()).optional(),
});
export type SweepAxis = z.infer<typeof SweepAxisSchema>;

export const ResolvedExperimentSchema = z.strictObject({
  name: z.string().min(1),
  seeds: z.array(z.number().int()).min(1),
  datasets: z.array(DatasetSpecSchema).min(1),
  /** The arms: a swept method entry gives one per combination of its option values (they share the entry's name). */
  methods: z.array(ResolvedMethodSchema).min(1),
  noise: z.array(ResolvedNoiseSchema).min(1),
  /** The model × training settings: one point without model or training axes, else their product (zips moving together). */
  grid: z.array(GridPointSchema).min(1),
  /** Every axis the config declares (model, training and method options), in the order written. */
  axes: z.array(SweepAxisSchema),
  backend: BackendNameSchema,
  splitSeed: z.number().int().positive(),
  output: z.string().min(1),
  ensemble: ResolvedEnsembleSchema.nullable(),
  /** How tables rank and compare, and the claims to check; not part of any RunSpec. */
  report: ReportSettingsSchema,
  /** The `--set` overrides applied to the config (absent: none). */
  overrides: z.array(z.string()).optional(),
});
export type ResolvedExperiment = z.infer<typeof ResolvedExperimentSchema>;
