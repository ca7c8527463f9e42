/** Built-in datasets: metadata only (no I/O), so config validation and `mixbench datasets` stay cheap. */

export type Modality = 'image' | 'tabular' | 'text';

export interface BuiltinDatasetInfo {
  name: string;
  modality: Modality;
  examples: number;
  classes: number;
  /** Shape of one example: [H, W, C] for images, [F] for tabular rows, [L] for token sequences. */
  shape: number[];
  file: string;
  source: string;
  licence: string;
}

const builtins = new Map<string, BuiltinDatasetInfo>();

export function registerBuiltinDataset(info: BuiltinDatasetInfo): void {
  if (builtins.has(info.name)) throw new Error(`dataset "${info.name}" is registered twice`);
  builtins.set(info.name, info);
}

export function builtinDataset(name: string): BuiltinDatasetInfo | undefined {
  return builtins.get(name);
}

export function builtinDatasetNames(): string[] {
  return [...builtins.keys()];
}

registerBuiltinDataset({
  name: 'digits',
  modality: 'image',
  examples: 1797,
  classes: 10,
  shape: [8, 8, 1],
  file: 'datasets/digits.csv.gz',
  source: 'UCI Optical Recognition of Handwritten Digits (test set), as shipped by scikit-learn 1.2.1',
  licence: 'data CC BY 4.0; scikit-learn copy BSD-3-Clause',
});
