/** Values read out of (schema-checked) run records for tables, plots and claims. */
import type { AccuracyMetric, ClaimMetric } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { median } from './stats';

export interface NoiseInfo {
  /** The label shown in tables (e.g. "none", "symmetric-0.4"). */
  label: string;
  /** Noise type ("none" for clean data). */
  type: string;
  /** Nominal rate in [0, 1) (0 for clean data); undefined when the record does not say. */
  rate: number | undefined;
}

/** The noise of a run. Records of early versions carry only the label: "none" then means type none and rate 0. */
export function noiseInfo(r: RunRecord): NoiseInfo {
  const { label, type, rate } = r.spec.noise;
  if (label === 'none' && rate === undefined) return { label, type: type ?? 'none', rate: 0 };
  return { label, type: type ?? (label === 'none' ? 'none' : label), rate };
}

export function isOk(r: RunRecord): boolean {
  return r.status === 'ok' && !!r.metrics && r.curve.length > 0;
}

/** "The" accuracy of a run under a statistic: best epoch, last epoch, or the median of the last k epochs. */
export function accuracyOf(r: RunRecord, metric: AccuracyMetric, k: number): number | undefined {
  if (!isOk(r)) return undefined;
  switch (metric) {
    case 'best': return r.metrics!.bestAccuracy;
    case 'last': return r.metrics!.lastAccuracy;
    case 'median-last-k': return median(r.curve.slice(-k).map((e) => e.testAccuracy));
  }
}

/** The last layer's token cosine similarity (over-smoothing), when the record has the diagnostic. */
export function lastLayerCosine(r: RunRecord): number | undefined {
  const layers = r.oversmoothing?.layers;
  if (!layers?.length) return undefined;
  return layers.reduce((a, b) => (b.depth > a.depth ? b : a)).cosine;
}

/** A claim metric's value for one run. */
export function claimValue(r: RunRecord, metric: ClaimMetric, k: number): number | undefined {
  if (!isOk(r)) return undefined;
  switch (metric) {
    case 'best':
    case 'last':
    case 'median-last-k':
      return accuracyOf(r, metric, k);
    case 'gap': return r.metrics!.bestAccuracy - r.metrics!.lastAccuracy;
    case 'nll': return r.metrics!.testNll;
    case 'ece': return r.metrics!.ece;
    case 'oversmoothing': return lastLayerCosine(r);
  }
}

export function higherIsBetter(metric: ClaimMetric): boolean {
  return metric === 'best' || metric === 'last' || metric === 'median-last-k';
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Summary columns from the record's sections beyond the metrics: memorisation on the label-corrupted examples (noisy
 * runs: last-epoch training accuracy against the noisy and the true labels) and the realised training-set noise.
 */
export function extraValues(r: RunRecord): Map<string, number> {
  const out = new Map<string, number>();
  const add = (column: string, v: number | null | undefined) => {
    if (finite(v)) out.set(column, v);
  };
  add('memorisation_noisy_fit', r.memorisation?.noisyFit);
  add('memorisation_true_fit', r.memorisation?.trueFit);
  add('realised_label_noise', r.noise?.labelFraction);
  add('realised_input_noise', r.noise?.inputFraction);
  add('realised_token_noise', r.noise?.tokenFraction);
  return out;
}
