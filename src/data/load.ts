/** Loading datasets from disk. The only module in src/data that does I/O. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { builtinDataset } from './catalog';
import type { Dataset, Split } from './dataset';
import { featureSize, takeRows } from './dataset';
import type { ResolvedDataset } from './spec';
import { stratifiedSplit } from './split';

/** The package root (where `datasets/` lives), found from this compiled file: dist/src/data → ../../.. */
export const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

const DIGITS_TEST_FRACTION = 0.2;

export function loadDataset(spec: ResolvedDataset, splitSeed: number): Dataset {
  const info = builtinDataset(spec.name);
  if (!info) throw new ConfigError([{ file: spec.name, message: `unknown dataset "${spec.name}"` }]);
  let ds: Dataset;
  switch (spec.name) {
    case 'digits':
      ds = loadDigits(join(PACKAGE_ROOT, info.file), splitSeed);
      break;
    default:
      throw new ConfigError([{ file: spec.name, message: `no loader for dataset "${spec.name}"` }]);
  }
  return spec.limit ? limitDataset(ds, spec.limit) : ds;
}

/**
 * scikit-learn's digits: gzip CSV, 65 integers per row (64 pixels 0..16 row-major, then the label). Pixels are
 * scaled to [0, 1]. No official split: a stratified 80/20 split by `splitSeed`, identical for all methods and seeds.
 */
export function loadDigits(path: string, splitSeed: number): Dataset {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const n = lines.length;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  lines.forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== 65) {
      throw new ConfigError([{ file: path, line: i + 1, col: 1, message: `expected 65 comma-separated values (64 pixels and a label), found ${cells.length}` }]);
    }
    for (let j = 0; j < 64; j++) x[i * 64 + j] = Number(cells[j]) / 16;
    y[i] = Number(cells[64]);
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] > 9) {
      throw new ConfigError([{ file: path, line: i + 1, col: 1, message: `label must be an integer 0-9, found "${cells[64]}"` }]);
    }
  });
  const all: Split = { x, y, n };
  const { train, test } = stratifiedSplit(y, DIGITS_TEST_FRACTION, splitSeed);
  return {
    name: 'digits',
    modality: 'image',
    numClasses: 10,
    shape: [8, 8, 1],
    train: takeRows(all, train, 64),
    test: takeRows(all, test, 64),
  };
}

/** The first `limit` examples of each split (splits are already shuffled-stratified, so this stays balanced-ish). */
export function limitDataset(ds: Dataset, limit: number): Dataset {
  const size = featureSize(ds.shape);
  const cut = (s: Split): Split => (s.n <= limit ? s : takeRows(s, evenlySpaced(s.n, limit), size));
  return { ...ds, train: cut(ds.train), test: cut(ds.test) };
}

function evenlySpaced(n: number, k: number): Int32Array {
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor((i * n) / k);
  return out;
}
