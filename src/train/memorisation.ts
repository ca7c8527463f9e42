/**
 * Memorisation on noisy runs: how well the network fits the training examples whose label the noise changed,
 * measured against the noisy labels (memorised) and against the true ones (still predicted correctly), after every
 * epoch (the curve's noisyFit/trueFit) and as the record's `memorisation` section (the last epoch).
 */
import type { EpochRecord, Memorisation } from '../core/record';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import type { NoisyData } from '../data/noise';
import type { ForwardHooks, Model } from '../model/types';
import { argmaxAt } from '../util/argmax';
import { predictLogits } from './predict';

/** At most this many corrupted examples are probed each epoch (evenly spaced), to bound the cost. */
export const MAX_PROBE = 2000;

export interface MemorisationProbe {
  /** Inputs as trained on (after any input noise), n × feature size. */
  x: Float32Array;
  n: number;
  noisyY: Int32Array;
  /** null when the true label means nothing (outliers: the input was replaced). */
  trueY: Int32Array | null;
}

/** The probe for a noisy training split, or undefined when no label was changed. */
export function memorisationProbe(noisy: NoisyData): MemorisationProbe | undefined {
  const all = noisy.corruptedIdx.length;
  if (!all) return undefined;
  const ds = noisy.ds;
  const size = featureSize(ds.shape);
  const n = Math.min(all, MAX_PROBE);
  const x = new Float32Array(n * size);
  const noisyY = new Int32Array(n);
  const trueY = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor((i * all) / n);
    const r = noisy.corruptedIdx[k];
    x.set(ds.train.x.subarray(r * size, (r + 1) * size), i * size);
    noisyY[i] = ds.train.y[r];
    trueY[i] = noisy.trueLabels[k];
  }
  return { x, n, noisyY, trueY: noisy.realised.type === 'outliers' ? null : trueY };
}

/** Accuracy of the plain network on the probe against the noisy and the true labels. */
export async function measureMemorisation(
  model: Model, ds: Dataset, probe: MemorisationProbe, batchSize: number, network?: ForwardHooks,
): Promise<{ noisyFit: number; trueFit: number | null }> {
  const k = ds.numClasses;
  const logits = await predictLogits(model, ds, probe.x, probe.n, batchSize, network);
  let noisyHits = 0;
  let trueHits = 0;
  for (let i = 0; i < probe.n; i++) {
    const p = argmaxAt(logits, i * k, k);
    if (p === probe.noisyY[i]) noisyHits++;
    if (probe.trueY && p === probe.trueY[i]) trueHits++;
  }
  return { noisyFit: noisyHits / probe.n, trueFit: probe.trueY ? trueHits / probe.n : null };
}

/** The record's `memorisation` section: the last epoch's figures on the probe (null for clean runs). */
export function memorisationSection(probe: MemorisationProbe | undefined, curve: EpochRecord[]): Memorisation | null {
  const last = curve[curve.length - 1];
  if (!probe || last?.noisyFit === undefined) return null;
  return { examples: probe.n, noisyFit: last.noisyFit, trueFit: last.trueFit ?? null };
}
