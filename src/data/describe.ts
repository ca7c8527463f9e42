/** `mixbench datasets` and `mixbench datasets describe <name|file>`: what mixbench would load, without training. */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../errors';
import { slug } from '../util/slug';
import { builtinDataset, builtinDatasetNames } from './catalog';
import type { Dataset } from './dataset';
import { featureSize } from './dataset';
import { readText } from './files';
import { FASHION_MNIST_DIR, loadDataset, mnistPackageDir, PACKAGE_ROOT } from './load';
import { DATA_FORMATS, DatasetSpecSchema, type DataFormat, type ResolvedDataset } from '../core/experiment';

/** Whether a built-in's data is on this machine. */
export function builtinAvailable(name: string): boolean {
  const info = builtinDataset(name)!;
  if (name === 'fashion-mnist') return existsSync(join(process.env.MIXBENCH_FASHION_MNIST || FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
  if (name === 'mnist-10k') return mnistPackageDir() !== undefined;
  return existsSync(join(PACKAGE_ROOT, info.file));
}

export function formatDatasetList(): string {
  const out: string[] = [];
  for (const name of builtinDatasetNames()) {
    const d = builtinDataset(name)!;
    const avail = builtinAvailable(name);
    out.push(`${d.name}\t${d.modality}\tn=${d.examples}\tclasses=${d.classes}\tshape=${d.shape.join('×')}\t${d.howToGet ? (avail ? 'installed' : 'NOT INSTALLED') : 'bundled'}`);
    out.push(`  source: ${d.source}`);
    out.push(`  licence: ${d.licence}`);
    out.push(`  split: ${d.split ? `official, ${d.split.train} train / ${d.split.test} test` : 'stratified 80/20 by the split seed'}`);
    if (d.howToGet && !avail) out.push(`  to get it: ${d.howToGet}`);
  }
  out.push('', 'Your own files: a dataset entry with format csv | text | idx | cifar (docs/datasets.md); check one with `mixbench datasets describe <file>`.');
  return `${out.join('\n')}\n`;
}

export interface DescribeOptions {
  format?: string;
  label?: string;
  text?: string;
  labels?: string;
  layout?: string;
  testPath?: string;
  maxLength?: string;
  splitSeed?: number;
}

/** Guess the entry for a file: extension, IDX naming, and for delimited text whether a text column exists. */
export function guessEntry(path: string, o: DescribeOptions): ResolvedDataset {
  const raw: Record<string, unknown> = { name: slug(basename(path)) || 'file', path };
  const lower = path.toLowerCase().replace(/\.gz$/, '');
  let format = o.format as DataFormat | undefined;
  if (format && !(DATA_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DATA_FORMATS.join(', ')}, got "${format}"`);
  if (!format) {
    if (/ubyte$|\.idx\d?$/.test(lower)) format = 'idx';
    else if (lower.endsWith('.bin')) format = 'cifar';
    else if (o.layout) format = 'text';
    else if (/\.(csv|tsv|tab)$/.test(lower)) {
      const head = (readText(path).split('\n')[0] ?? '').toLowerCase().split(/[\t,]/).map((h) => h.trim());
      format = head.some((h) => ['text', 'sentence', 'subject'].includes(h)) || (o.text !== undefined) ? 'text' : 'csv';
      if (format === 'text' && o.text === undefined && head.includes('subject') && !head.includes('text')) raw.text = 'subject';
    } else format = 'text';
  }
  raw.format = format;
  if (o.label !== undefined) raw.label = /^\d+$/.test(o.label) ? Number(o.label) : o.label;
  if (o.text !== undefined) raw.text = /^\d+$/.test(o.text) ? Number(o.text) : o.text;
  if (o.layout) raw.layout = o.layout;
  if (o.testPath) raw.testPath = o.testPath;
  if (o.maxLength) raw.maxLength = Number(o.maxLength);
  if (format === 'idx') {
    const lab = o.labels ?? path.replace('images-idx3', 'labels-idx1').replace('images', 'labels');
    if (lab === path || !existsSync(lab)) throw new UsageError(`${path}: an IDX images file needs its labels file: --labels <file>`);
    raw.labels = lab;
  }
  const parsed = DatasetSpecSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function describeDataset(target: string, o: DescribeOptions = {}): string {
  const spec: ResolvedDataset = builtinDataset(target) && !existsSync(target) ? { name: target } : guessEntry(target, o);
  if (!builtinDataset(target) && !existsSync(target)) throw new UsageError(`${target}: neither a built-in dataset (${builtinDatasetNames().join(', ')}) nor an existing file`);
  const t0 = process.hrtime.bigint();
  const ds = loadDataset(spec, o.splitSeed ?? 20240601);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return formatDescription(spec, ds, ms);
}

function formatDescription(spec: ResolvedDataset, ds: Dataset, ms: number): string {
  const lines: string[] = [];
  const entry = Object.entries(spec).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`).join(', ');
  lines.push(`${ds.name}: ${ds.modality}, ${ds.numClasses} classes, shape ${ds.shape.join('×')}, ${ds.train.n} train + ${ds.test.n} test (read and prepared in ${ms.toFixed(0)} ms)`);
  lines.push(`  config entry: {${entry}}`);
  const count = (y: Int32Array) => {
    const c = new Array<number>(ds.numClasses).fill(0);
    for (const v of y) c[v]++;
    return c;
  };
  const tr = count(ds.train.y);
  const te = count(ds.test.y);
  const names = ds.classNames ?? tr.map((_, k) => String(k));
  const shown = Math.min(ds.numClasses, 30);
  lines.push(`  classes (train/test):`);
  for (let k = 0; k < shown; k++) lines.push(`    ${k}\t${names[k]}\t${tr[k]}/${te[k]}`);
  if (shown < ds.numClasses) lines.push(`    … ${ds.numClasses - shown} more`);
  if (ds.vocabSize) lines.push(`  vocabulary: ${ds.vocabSize} ids`);
  for (const n of ds.notes ?? []) lines.push(`  note: ${n}`);
  if (ds.train.n) {
    const size = featureSize(ds.shape);
    const row = Array.from(ds.train.x.subarray(0, size));
    const preview = ds.modality === 'text'
      ? row.filter((v) => v !== 0).map((v) => ds.vocabulary?.[v] ?? v).join(' ')
      : row.slice(0, 12).map((v) => +v.toFixed(3)).join(', ') + (size > 12 ? ', …' : '');
    lines.push(`  first training example (class ${names[ds.train.y[0]]}): ${preview}`);
  }
  return `${lines.join('\n')}\n`;
}
