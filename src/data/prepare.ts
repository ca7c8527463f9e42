/**
 * Source → Dataset: class indices, the split (official, or stratified by the split seed), training subsets, `limit`,
 * then encoding with training-split statistics only (standardisation, one-hot categories, vocabulary).
 */
import { ConfigError, type Issue } from '../errors';
import { deriveSeed } from '../util/hash';
import type { Dataset, Split } from './dataset';
import { buildVocabulary, encodeTexts } from './tokenize';
import { subsetPart, type Part, type Source } from './source';
import { DATASET_DEFAULTS, type ResolvedDataset } from '../core/experiment';
import { stratifiedSplit, stratifiedSubset } from './split';

/** More classes than this looks like a regression target or a wrong label column. */
export const MAX_CLASSES = 1000;

function issueFor(part: Part, i: number, message: string): Issue {
  const w = part.where(i);
  return w.line !== undefined ? { file: part.file, line: w.line, col: 1, message } : { file: part.file, message: w.text ? `${w.text}: ${message}` : message };
}

function naturalCompare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Class indices for both parts; classes come from `train` (a class only in test is refused). */
function classIndices(src: Source): { train: Int32Array; test?: Int32Array; numClasses: number; classNames: string[] } {
  const { train, test } = src;
  if (train.labels instanceof Int32Array) {
    const tl = train.labels;
    let K = src.numClasses ?? 0;
    if (src.numClasses === undefined) for (const v of tl) K = Math.max(K, v + 1);
    const present = new Uint8Array(Math.max(K, 1));
    for (const v of tl) present[v] = 1;
    let testY: Int32Array | undefined;
    if (test) {
      testY = test.labels as Int32Array;
      for (let i = 0; i < test.n; i++) {
        const v = testY[i];
        if (v >= K || !present[v]) throw new ConfigError([issueFor(test, i, `class ${v} appears only in the test split (no training example has it)`)]);
      }
    }
    return { train: tl, test: testY, numClasses: K, classNames: src.classNames ?? Array.from({ length: K }, (_, k) => String(k)) };
  }
  const names = [...new Set(train.labels)].sort(naturalCompare);
  const index = new Map(names.map((c, i) => [c, i]));
  const map = (p: Part, isTest: boolean) =>
    Int32Array.from(p.labels as string[], (lab, i) => {
      const k = index.get(lab);
      if (k === undefined) {
        throw new ConfigError([issueFor(p, i, isTest ? `class "${lab}" appears only in the test split (no training example has it)` : `unknown class "${lab}"`)]);
      }
      return k;
    });
  return { train: map(train, false), test: test ? map(test, true) : undefined, numClasses: names.length, classNames: names };
}

function evenlySpaced(n: number, k: number): Int32Array {
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor((i * n) / k);
  return out;
}

export function buildDataset(src: Source, spec: ResolvedDataset, splitSeed: number): Dataset {
  const cls = classIndices(src);
  const K = cls.numClasses;
  if (K < 2) throw new ConfigError([{ file: src.train.file, message: `only ${K} class in the training data: a classifier needs at least 2` }]);
  if (K > MAX_CLASSES) {
    throw new ConfigError([{ file: src.train.file, message: `${K} classes: more than ${MAX_CLASSES} looks like a continuous target or the wrong label column; mixbench trains classifiers` }]);
  }
  const notes = [...src.notes];
  let train: Part;
  let test: Part;
  let yTrain: Int32Array;
  let yTest: Int32Array;
  if (src.test && cls.test) {
    train = src.train;
    test = src.test;
    yTrain = cls.train;
    yTest = cls.test;
    notes.push(`official split: ${train.n} train, ${test.n} test`);
  } else {
    const frac = spec.testFraction ?? DATASET_DEFAULTS.testFraction;
    const s = stratifiedSplit(cls.train, frac, splitSeed);
    train = subsetPart(src.train, s.train);
    test = subsetPart(src.train, s.test);
    yTrain = Int32Array.from(s.train, (i) => cls.train[i]);
    yTest = Int32Array.from(s.test, (i) => cls.train[i]);
    notes.push(`no official split: stratified ${Math.round((1 - frac) * 100)}/${Math.round(frac * 100)} split by split seed ${splitSeed}`);
  }
  const keep = spec.trainSize ?? (spec.trainFraction !== undefined ? Math.round(spec.trainFraction * train.n) : undefined);
  if (keep !== undefined && keep < train.n) {
    if (keep < K) throw new ConfigError([{ file: src.train.file, message: `a training subset of ${keep} cannot hold all ${K} classes` }]);
    const idx = stratifiedSubset(yTrain, keep, deriveSeed('train-subset', splitSeed));
    train = subsetPart(train, idx);
    yTrain = Int32Array.from(idx, (i) => yTrain[i]);
    notes.push(`training subset: ${keep} examples (stratified, seeded by the split seed)`);
  } else if (keep !== undefined && spec.trainSize !== undefined && keep > train.n) {
    throw new ConfigError([{ file: src.train.file, message: `trainSize ${keep} exceeds the ${train.n} training examples` }]);
  }
  if (spec.limit) {
    const lim = spec.limit;
    if (train.n > lim) { const idx = evenlySpaced(train.n, lim); train = subsetPart(train, idx); yTrain = Int32Array.from(idx, (i) => yTrain[i]); }
    if (test.n > lim) { const idx = evenlySpaced(test.n, lim); test = subsetPart(test, idx); yTest = Int32Array.from(idx, (i) => yTest[i]); }
  }

  const base = { name: spec.name, numClasses: K, classNames: cls.classNames, notes };
  const pl = train.payload;
  if (pl.kind === 'image') {
    return {
      ...base, modality: 'image', shape: [...pl.shape],
      train: { x: pl.x, y: yTrain, n: train.n },
      test: { x: (test.payload as typeof pl).x, y: yTest, n: test.n },
    };
  }
  if (pl.kind === 'text') {
    const maxLength = spec.maxLength ?? DATASET_DEFAULTS.maxLength;
    const vocab = buildVocabulary(pl.texts, spec.maxVocab ?? DATASET_DEFAULTS.maxVocab);
    const tr = encodeTexts(pl.texts, vocab, maxLength);
    const te = encodeTexts((test.payload as typeof pl).texts, vocab, maxLength);
    notes.push(`vocabulary: ${vocab.words.length} ids (PAD 0, OOV 1) from the training split; max length ${maxLength}; ` +
      `${tr.truncated} train / ${te.truncated} test texts cut; test OOV rate ${(te.oovTokens / Math.max(1, te.tokens)).toFixed(3)}`);
    return {
      ...base, modality: 'text', shape: [maxLength], vocabSize: vocab.words.length, vocabulary: vocab.words,
      train: { x: tr.x, y: yTrain, n: train.n },
      test: { x: te.x, y: yTest, n: test.n },
    };
  }
  const enc = encodeTable(train, test);
  notes.push(...enc.notes);
  return {
    ...base, modality: 'tabular', shape: [enc.width],
    train: { x: enc.train, y: yTrain, n: train.n },
    test: { x: enc.test, y: yTest, n: test.n },
  };
}

type Column = { kind: 'numeric'; mean: number; std: number } | { kind: 'onehot'; categories: string[] };

/** Numeric columns standardised with training mean/std; all-text columns one-hot (training categories) or refused. */
function encodeTable(train: Part, test: Part): { train: Float32Array; test: Float32Array; width: number; notes: string[] } {
  const tp = train.payload as Extract<Part['payload'], { kind: 'table' }>;
  const sp = test.payload as typeof tp;
  const F = tp.header.length;
  const notes: string[] = [];
  const cols: Column[] = [];
  const trainNum: Float64Array[] = [];
  for (let j = 0; j < F; j++) {
    let numeric = 0;
    let firstText = -1;
    let firstTextPart: Part = train;
    const vals = new Float64Array(train.n);
    const scan = (p: Part, cells: string[][], store: Float64Array | null) => {
      for (let i = 0; i < p.n; i++) {
        const s = cells[i][j];
        if (s.trim() === '') throw new ConfigError([issueFor(p, i, `empty value in feature column "${tp.header[j]}" (missing values are not supported)`)]);
        const v = Number(s);
        if (Number.isFinite(v)) { numeric++; if (store) store[i] = v; } else if (firstText < 0) { firstText = i; firstTextPart = p; }
      }
    };
    scan(train, tp.cells, vals);
    scan(test, sp.cells, null);
    const total = train.n + test.n;
    if (numeric === total) {
      let mean = 0;
      for (let i = 0; i < train.n; i++) mean += vals[i];
      mean /= train.n;
      let v = 0;
      for (let i = 0; i < train.n; i++) v += (vals[i] - mean) ** 2;
      let std = Math.sqrt(v / train.n);
      if (!(std > 0)) { std = 1; notes.push(`column "${tp.header[j]}" is constant in the training split`); }
      cols.push({ kind: 'numeric', mean, std });
      trainNum.push(vals);
    } else if (numeric * 2 >= total || tp.categorical === 'reject') {
      const bad = (firstTextPart.payload as typeof tp).cells[firstText][j];
      const why = numeric * 2 >= total
        ? `non-numeric feature "${bad}" in column "${tp.header[j]}", whose other values are numbers`
        : `non-numeric feature "${bad}" in column "${tp.header[j]}"; categorical columns are refused (categorical: reject); use categorical: onehot or drop the column`;
      throw new ConfigError([issueFor(firstTextPart, firstText, why)]);
    } else {
      const categories = [...new Set(tp.cells.map((r) => r[j].trim()))].sort();
      cols.push({ kind: 'onehot', categories });
      trainNum.push(vals);
      notes.push(`column "${tp.header[j]}" one-hot encoded (${categories.length} training categories)`);
    }
  }
  const width = cols.reduce((s, c) => s + (c.kind === 'numeric' ? 1 : c.categories.length), 0);
  const encode = (p: Part, cells: string[][], numericCache: Float64Array[] | null): Float32Array => {
    const out = new Float32Array(p.n * width);
    let off = 0;
    cols.forEach((c, j) => {
      if (c.kind === 'numeric') {
        const cache = numericCache?.[j];
        for (let i = 0; i < p.n; i++) out[i * width + off] = ((cache ? cache[i] : Number(cells[i][j])) - c.mean) / c.std;
        off += 1;
      } else {
        const idx = new Map(c.categories.map((k, t) => [k, t]));
        for (let i = 0; i < p.n; i++) {
          const t = idx.get(cells[i][j].trim());
          if (t !== undefined) out[i * width + off + t] = 1; // a category unseen in training: all zeros
        }
        off += c.categories.length;
      }
    });
    return out;
  };
  return { train: encode(train, tp.cells, trainNum), test: encode(test, sp.cells, null), width, notes };
}

export type { Split };
