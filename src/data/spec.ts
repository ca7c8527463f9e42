/**
 * What a dataset entry (src/core/experiment.ts, DatasetSpecSchema) means without reading data: its modality and the
 * problems with its options. Relative paths are resolved against the current working directory when the data is loaded.
 */
import type { Modality, ResolvedDataset } from '../core/experiment';
import { builtinDataset } from './catalog';

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
