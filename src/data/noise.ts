/**
 * Noise on the training split (the test split stays clean), determined by (seed, noise type) alone: every method
 * sees the same corrupted data under one seed (paired comparisons). The rate does not enter the random stream:
 * examples are corrupted in one seeded order, so under one seed the examples corrupted at rate 0.2 are a subset of
 * those corrupted at 0.4 (and get the same new labels).
 */
import type { ResolvedNoise } from '../core/experiment';
import type { RealisedNoise } from '../core/record';
import { ConfigError } from '../errors';
import { deriveSeed } from '../util/hash';
import { Rng } from '../util/rng';
import type { Dataset, Split } from './dataset';
import { featureSize } from './dataset';
import { PAD } from './tokenize';

export interface NoisyData {
  ds: Dataset;
  realised: RealisedNoise;
  /** Indices (into ds.train) of the examples whose label was changed, with their true labels. */
  corruptedIdx: Int32Array;
  trueLabels: Int32Array;
}

/** Refuse noise the data cannot take (class map out of range, input noise on text, text noise on non-text). */
export function checkNoise(noise: ResolvedNoise, ds: Pick<Dataset, 'name' | 'modality' | 'numClasses'>): string | undefined {
  const kind = noise.kind ?? 'none';
  if (kind === 'text' && ds.modality !== 'text') return `${noise.label}: text noise needs text data, ${ds.name} is ${ds.modality}`;
  if (noise.type === 'gaussian' && ds.modality === 'text') return `${noise.label}: gaussian input noise cannot act on token ids (${ds.name}); use text noise (replace, delete)`;
  if (noise.map) {
    const bad = noise.map.findIndex((v) => v >= ds.numClasses);
    if (bad >= 0) return `${noise.label}: map sends class ${bad} to ${noise.map[bad]}, but ${ds.name} has classes 0-${ds.numClasses - 1}`;
    if (noise.map.length > ds.numClasses) return `${noise.label}: map has ${noise.map.length} entries, ${ds.name} has ${ds.numClasses} classes`;
  }
  return undefined;
}

export function noiseSeed(noise: ResolvedNoise, seed: number): number {
  return deriveSeed('noise', noise.kind ?? 'none', noise.type ?? 'none', JSON.stringify(noise.map ?? null), seed);
}

export function applyNoise(ds: Dataset, noise: ResolvedNoise, seed: number): NoisyData {
  const type = noise.type ?? 'none';
  const rate = noise.rate ?? 0;
  const problem = checkNoise(noise, ds);
  if (problem) throw new ConfigError([{ file: 'noise', message: problem }]);
  const n = ds.train.n;
  const K = ds.numClasses;
  const size = featureSize(ds.shape);
  const rng = new Rng(noiseSeed(noise, seed));
  const y = Int32Array.from(ds.train.y);
  let x = ds.train.x;
  let inputChanged = 0;
  let tokenFraction: number | undefined;
  const k = Math.round(rate * n);

  switch (type) {
    case 'none':
      break;
    case 'symmetric':
    case 'uniform':
    case 'asymmetric': {
      const order = rng.permutation(n);
      for (let i = 0; i < k; i++) {
        const r = order[i];
        const t = ds.train.y[r];
        if (type === 'symmetric') y[r] = (t + 1 + rng.int(K - 1)) % K;
        else if (type === 'uniform') y[r] = rng.int(K);
        else y[r] = noise.map ? (t < noise.map.length ? noise.map[t] : t) : (t + 1) % K;
      }
      break;
    }
    case 'gaussian': {
      x = Float32Array.from(x);
      const std = featureStd(ds.train, size);
      for (let r = 0; r < n; r++) for (let j = 0; j < size; j++) x[r * size + j] += rate * std[j] * rng.normal();
      inputChanged = rate > 0 ? n : 0;
      break;
    }
    case 'outliers': {
      x = Float32Array.from(x);
      const order = rng.permutation(n);
      const { lo, hi } = featureRange(ds.train, size);
      const L = size;
      const V = ds.vocabSize ?? 0;
      for (let i = 0; i < k; i++) {
        const r = order[i];
        if (ds.modality === 'text') {
          // A random token sequence of random length (ids 2..V-1, no padding inside).
          const len = 1 + rng.int(L);
          for (let j = 0; j < L; j++) x[r * L + j] = j < len ? 2 + rng.int(Math.max(1, V - 2)) : PAD;
        } else {
          for (let j = 0; j < size; j++) x[r * size + j] = lo[j] + rng.uniform() * (hi[j] - lo[j]);
        }
        y[r] = rng.int(K);
      }
      inputChanged = k;
      break;
    }
    case 'replace':
    case 'delete': {
      x = Float32Array.from(x);
      const L = size;
      const V = ds.vocabSize ?? 2;
      let tokens = 0;
      let changed = 0;
      const row = new Float32Array(L);
      for (let r = 0; r < n; r++) {
        const seq = x.subarray(r * L, (r + 1) * L);
        let rowChanged = false;
        if (type === 'replace') {
          for (let j = 0; j < L; j++) {
            if (seq[j] === PAD) continue;
            tokens++;
            if (rng.uniform() < rate && V > 3) {
              // Another word id (2..V-1, never the same one, never PAD or OOV).
              seq[j] = 2 + ((seq[j] - 2 + 1 + rng.int(V - 3)) % (V - 2));
              changed++;
              rowChanged = true;
            }
          }
        } else {
          let m = 0;
          let real = 0;
          for (let j = 0; j < L; j++) {
            if (seq[j] === PAD) continue;
            real++;
            if (rng.uniform() < rate) continue;
            row[m++] = seq[j];
          }
          tokens += real;
          if (m === 0 && real > 0) row[m++] = seq[0]; // never delete a whole text: keep its first token
          if (m < real) { changed += real - m; rowChanged = true; }
          row.fill(PAD, m);
          seq.set(row);
        }
        if (rowChanged) inputChanged++;
      }
      tokenFraction = tokens ? changed / tokens : 0;
      break;
    }
    default:
      throw new Error(`unknown noise type ${String(type)}`);
  }

  const corrupted: number[] = [];
  for (let r = 0; r < n; r++) if (y[r] !== ds.train.y[r]) corrupted.push(r);
  const corruptedIdx = Int32Array.from(corrupted);
  const train: Split = { x, y, n };
  return {
    ds: type === 'none' ? ds : { ...ds, train },
    realised: {
      type, rate,
      labelFraction: n ? corrupted.length / n : 0,
      inputFraction: n ? inputChanged / n : 0,
      ...(tokenFraction !== undefined ? { tokenFraction } : {}),
      corrupted: corrupted.length,
    },
    corruptedIdx,
    trueLabels: Int32Array.from(corruptedIdx, (r) => ds.train.y[r]),
  };
}

function featureStd(s: Split, size: number): Float64Array {
  const mean = new Float64Array(size);
  const sq = new Float64Array(size);
  for (let r = 0; r < s.n; r++) for (let j = 0; j < size; j++) mean[j] += s.x[r * size + j];
  for (let j = 0; j < size; j++) mean[j] /= Math.max(1, s.n);
  for (let r = 0; r < s.n; r++) for (let j = 0; j < size; j++) sq[j] += (s.x[r * size + j] - mean[j]) ** 2;
  return sq.map((v) => Math.sqrt(v / Math.max(1, s.n)));
}

function featureRange(s: Split, size: number): { lo: Float32Array; hi: Float32Array } {
  const lo = new Float32Array(size).fill(Infinity);
  const hi = new Float32Array(size).fill(-Infinity);
  for (let r = 0; r < s.n; r++) {
    for (let j = 0; j < size; j++) {
      const v = s.x[r * size + j];
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
    }
  }
  return { lo, hi };
}
