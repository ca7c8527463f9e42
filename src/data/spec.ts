/**
 * The config schema of a dataset entry: a built-in name, or an object naming a built-in with options, or a user's
 * file with a `format`. Relative paths are resolved against the current working directory when the data is loaded.
 */
import { z } from 'zod';
import type { Modality } from './catalog';
import { builtinDataset } from './catalog';

export const DATA_FORMATS = ['csv', 'text', 'idx', 'cifar'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export const TEXT_LAYOUTS = ['tsv', 'csv', 'sst2', 'trec'] as const;
export type TextLayout = (typeof TEXT_LAYOUTS)[number];

export const DatasetObjectSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9._+-]+$/, 'dataset names may use letters, digits, ".", "_", "+" and "-" only'),
  /** Use at most this many examples per split (quick runs). */
  limit: z.number().int().positive().optional(),
  /** Keep this fraction of the training split (stratified, seeded by the split seed). */
  trainFraction: z.number().gt(0).max(1).optional(),
  /** Keep this many training examples (stratified, seeded by the split seed). */
  trainSize: z.number().int().positive().optional(),
  /** Fraction held out as test when the data has no official split (default 0.2). */
  testFraction: z.number().gt(0).lt(1).optional(),
  /** Text: tokens kept per example (longer texts are cut, shorter ones padded with 0). */
  maxLength: z.number().int().min(1).max(1024).optional(),
  /** Text: vocabulary cap (most frequent training words; the rest become OOV). */
  maxVocab: z.number().int().min(2).optional(),
  /** A user's file: how to read it. */
  format: z.enum(DATA_FORMATS).optional(),
  /** csv/text: the data file (train + test, or train only with `testPath`); idx: the images file; cifar: batch file(s). */
  path: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** The official test file(s) (idx: test images). */
  testPath: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** csv/text: the label column (name, or 0-based index); default `label`. */
  label: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  /** text: the text column (name or 0-based index); default `text` (`sentence` for sst2). */
  text: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  /** text: the file layout; default from the file extension (.tsv → tsv, .csv → csv). */
  layout: z.enum(TEXT_LAYOUTS).optional(),
  /** csv: non-numeric columns are one-hot encoded (`onehot`, default) or refused (`reject`). */
  categorical: z.enum(['onehot', 'reject']).optional(),
  /** idx: the labels files. */
  labels: z.string().min(1).optional(),
  testLabels: z.string().min(1).optional(),
  /** cifar: 10 (3,073-byte records) or 100 (3,074-byte records). */
  variant: z.union([z.literal(10), z.literal(100)]).optional(),
  /** trec: coarse (6 classes, default) or fine (50) labels; cifar-100: fine (100, default) or coarse (20). */
  labelSet: z.enum(['coarse', 'fine']).optional(),
});

export const DatasetEntrySchema = z.union([z.string().min(1), DatasetObjectSchema]);
export type DatasetEntry = z.infer<typeof DatasetEntrySchema>;
export type ResolvedDataset = z.infer<typeof DatasetObjectSchema>;

export function resolveDatasetEntry(entry: DatasetEntry): ResolvedDataset {
  return typeof entry === 'string' ? { name: entry } : { ...entry };
}

/** The modality of an entry without reading data (config checks); undefined for an unknown built-in name. */
export function modalityOf(spec: ResolvedDataset): Modality | undefined {
  switch (spec.format) {
    case 'csv': return 'tabular';
    case 'text': return 'text';
    case 'idx':
    case 'cifar': return 'image';
    default: return builtinDataset(spec.name)?.modality;
  }
}

/** Problems with an entry's options that need no I/O: [key, message] pairs. */
export function checkDatasetEntry(spec: ResolvedDataset): [string, string][] {
  const out: [string, string][] = [];
  const m = modalityOf(spec);
  if (spec.format) {
    if (!spec.path) out.push(['path', `format ${spec.format} needs \`path\` (the data file)`]);
    if (spec.format === 'idx' && !spec.labels) out.push(['labels', 'format idx needs `labels` (the labels file for `path`)']);
    if (spec.format === 'idx' && spec.testPath && !spec.testLabels) out.push(['testLabels', 'format idx with `testPath` needs `testLabels`']);
  }
  const only = (key: keyof ResolvedDataset, ok: boolean, what: string) => {
    if (spec[key] !== undefined && !ok) out.push([key, `\`${key}\` applies to ${what} only`]);
  };
  only('maxLength', m === 'text', 'text data');
  only('maxVocab', m === 'text', 'text data');
  only('layout', spec.format === 'text', 'format text');
  only('text', spec.format === 'text', 'format text');
  only('label', spec.format === 'text' || spec.format === 'csv', 'formats csv and text');
  only('categorical', spec.format === 'csv', 'format csv');
  only('labels', spec.format === 'idx', 'format idx');
  only('testLabels', spec.format === 'idx', 'format idx');
  only('variant', spec.format === 'cifar', 'format cifar');
  only('labelSet', spec.format === 'cifar' || spec.format === 'text', 'formats cifar (100) and text (trec)');
  only('path', spec.format !== undefined, 'entries with a `format`');
  only('testPath', spec.format !== undefined, 'entries with a `format`');
  if (spec.trainFraction !== undefined && spec.trainSize !== undefined) out.push(['trainSize', 'give `trainFraction` or `trainSize`, not both']);
  return out;
}
